# test_serve.sh — `tierline serve`: the HTTP API on loopback, port 0.
# Servers on tests/e2e/serve/serve.flow (short prompts and timeouts, so calls
# move in well under a second), flows/examples/minimal.flow and
# flows/uscis.flow; one with a scenario that staffs the desk.  Every wait is
# bounded and every server is killed on the way out.
. tests/e2e/lib.sh
FLOW=tests/e2e/serve/serve.flow
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if command -v curl >/dev/null 2>&1; then HAVE_CURL=1; else HAVE_CURL=0; fi

# req METHOD URL [BODY|@FILE]: status in $CODE, body in $TMP/body.
req() {
	m=$1; u=$2; b=${3-}
	if [ "$HAVE_CURL" = 1 ]; then
		if [ -n "$b" ]; then
			CODE=$(curl -s -m 5 -o "$TMP/body" -w '%{http_code}' -X "$m" \
				-H 'Content-Type: application/json' --data-binary "$b" "$u")
		else
			CODE=$(curl -s -m 5 -o "$TMP/body" -w '%{http_code}' -X "$m" "$u")
		fi
	else
		CODE=$(python3 - "$m" "$u" "$b" "$TMP/body" <<'EOF'
import sys, urllib.request, urllib.error
m, u, b, out = sys.argv[1:5]
data = None
if b:
    data = open(b[1:], 'rb').read() if b.startswith('@') else b.encode()
r = urllib.request.Request(u, data=data, method=m)
try:
    with urllib.request.urlopen(r, timeout=5) as resp:
        code, body = resp.status, resp.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
except Exception:
    code, body = 0, b''
open(out, 'wb').write(body)
print(code)
EOF
)
	fi
}

# check NAME WANT-CODE PATTERN...: last request's status and body.
check() {
	name=$1; want=$2; shift 2
	if [ "$CODE" != "$want" ]; then
		fail "$name" "status $CODE, want $want" "$(head -c 400 "$TMP/body")"; return; fi
	for pat in "$@"; do
		if ! grep -Eq -- "$pat" "$TMP/body"; then
			fail "$name" "no match for: $pat" "$(head -c 600 "$TMP/body")"; return; fi
	done
	ok "$name"
}

# start NAME ARGS...: a server in the background; sets URL and SPID.
start() {
	name=$1; shift
	"$TIERLINE" serve "$@" --listen 127.0.0.1:0 >"$TMP/$name.out" 2>"$TMP/$name.err" &
	SPID=$!
	PIDS="$PIDS $SPID"
	port=""
	i=0
	while [ $i -lt 100 ]; do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$TMP/$name.out" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	if [ -n "$port" ]; then ok "$name-listening"; else
		fail "$name-listening" "no 'listening on' line" "$(cat "$TMP/$name.err")"; fi
	URL=http://127.0.0.1:$port
}

# stop NAME: SIGTERM, wait (bounded) and check exit 0.
stop() {
	name=$1
	kill -TERM "$SPID" 2>/dev/null
	i=0
	while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$SPID" 2>/dev/null; then
		fail "$name-exit" "still running 10 s after SIGTERM"; kill -9 "$SPID"; return; fi
	wait "$SPID"; st=$?
	if [ "$st" = 0 ]; then ok "$name-exit"; else
		fail "$name-exit" "exit $st" "$(tail -20 "$TMP/$name.err")"; fi
	if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error' "$TMP/$name.err"; then
		fail "$name-sanitizer" "$(head -30 "$TMP/$name.err")"; else ok "$name-sanitizer"; fi
}

# wait_for NAME ID PATTERN [SECONDS]: poll GET /calls/ID until the body matches.
wait_for() {
	name=$1; id=$2; pat=$3; secs=${4:-5}
	i=0
	while [ $i -lt $((secs * 10)) ]; do
		req GET "$URL/calls/$id"
		grep -Eq -- "$pat" "$TMP/body" && { ok "$name"; return; }
		sleep 0.1; i=$((i + 1))
	done
	fail "$name" "no match for: $pat within ${secs}s" "$(head -c 600 "$TMP/body")"
}

# ---- the fast flow, external agents, with a database ----------------------
DB=$TMP/serve.db
start fast "$FLOW" --db "$DB"

req GET "$URL/healthz"; check healthz 200 '^ok$'

# 1. keys 1 -> info (a play) -> hangup: self-service
req POST "$URL/calls" '{"line":"main"}'
check place 201 '"id":1' '"state":"prompting"' '"node":"menu1"' '"language":"en"'
req POST "$URL/calls/1/keys" '{"keys":"1"}'
check keys-option 200 '"node":"info"' '"state":"playing"' '"keys":"1"'
wait_for self-service 1 '"outcome":"self-service"'
req GET "$URL/calls/1"
check call-detail 200 '"prompts":\["s_menu","s_info"\]' '"state":"ended"'

# 2. no keys at all: two no-inputs, then the failure route hangs up
req POST "$URL/calls" '{}'
check place-default-line 201 '"id":2' '"line":"main"'
wait_for noinput-failure 2 '"state":"ended"' 5
req GET "$URL/calls/2/events?since=0"
check events 200 '"kind":"miss"' '"kind":"failure"' '"ended":true' '"next":[0-9]+'
req GET "$URL/calls/2/events?since=1000"
check events-since-end 200 '"events":\[\]'

# 3. two callers queue at desk; the API answers the head, escalates to desk2,
#    which times out (max_wait 400ms) -> bye
req POST "$URL/calls" '{"line":"main"}'; id3=3
req POST "$URL/calls/3/keys" '{"keys":"0"}'
check queued 200 '"state":"queued"' '"queue":"desk"' '"position":1'
req POST "$URL/calls" '{"line":"main"}'
req POST "$URL/calls/4/keys" '{"keys":"0"}'
check queued-second 200 '"position":2'
req POST "$URL/calls/4/answer" '{}'
check answer-not-head 409 '"error":".*position 2'
req POST "$URL/calls/3/done" '{"outcome":"resolved"}'
check done-not-talking 409 '"error":'
req POST "$URL/calls/3/answer" '{"agent":"alice"}'
check answer 200 '"state":"talking"' '"agent":[0-9]+'
req GET "$URL/queues"
check queues 200 '"name":"desk"' '"waiting":1' '"talking":1' '"offered":2' '"answered":1' '"longest_wait_ms":[0-9]+'
req POST "$URL/calls/3/answer"
check answer-twice 409 '"error":'
req POST "$URL/calls/3/done" '{"outcome":"escalate"}'
check escalate 200 '"queue":"desk2"' '"state":"queued"'
wait_for max-wait 3 '"state":"ended"' 5
req POST "$URL/calls/4/hangup"
check hangup-queued 200 '"outcome":"abandoned-queue"'
req POST "$URL/calls/4/hangup"
check hangup-ended 409 '"error":".*ended'
req POST "$URL/calls/4/keys" '{"keys":"1"}'
check keys-ended 409 '"error":".*ended'

# 4. the caller asks for a supervisor while waiting: desk -> desk2; helpdesk
#    has no supervisor target, so the request is refused and the call waits
req POST "$URL/calls" '{"line":"main"}'
req POST "$URL/calls/5/keys" '{"keys":"0"}'
req POST "$URL/calls/5/supervisor"
check supervisor 200 '"queue":"desk2"'
req POST "$URL/calls" '{"line":"main"}'
req POST "$URL/calls/6/keys" '{"keys":"3"}'
check helpdesk 200 '"queue":"helpdesk"'
req POST "$URL/calls/6/supervisor"
check supervisor-none 409 '"error":'
req POST "$URL/calls/6/answer"
req POST "$URL/calls/6/done" '{"outcome":"resolved"}'
check resolved 200 '"outcome":"resolved-tier1"'

# 5. an input stores the receipt; a service request filed by the agent
req POST "$URL/calls" '{"line":"main","vars":{"receipt":"999"}}'
check place-vars 201 '"variables":\{"receipt":"999"\}'
req POST "$URL/calls/7/keys" '{"keys":"212345"}'
wait_for input-done 7 '"variables":\{"receipt":"12345"\}.*' 3
wait_for input-queued 7 '"queue":"desk"' 3
req POST "$URL/calls/7/answer"
req POST "$URL/calls/7/done" '{"outcome":"request"}'
check request 200 '"node":"(sr|bye)"'
wait_for request-filed 7 '"outcome":"request-filed"' 5

# 6. the second line; a live call left for shutdown
req POST "$URL/calls" '{"line":"other"}'
check other-line 201 '"node":"info"' '"line":"other"'
req POST "$URL/calls" '{"line":"main"}'
req POST "$URL/calls/9/keys" '{"keys":"0"}'
req GET "$URL/calls"
check list 200 '"active":[0-9]+' '"id":9'

# 7. errors: statuses and JSON bodies, never a crash
req POST "$URL/calls" '{"line":'; check bad-json 400 '"error":".*JSON'
req POST "$URL/calls" '[1,2]'; check not-object 400 '"error":'
req POST "$URL/calls" '{"line":"nope"}'; check unknown-line 400 '"error":"unknown line'
req POST "$URL/calls" '{"line":5}'; check line-type 400 '"error":'
req POST "$URL/calls" '{"lang":"xx"}'; check unknown-lang 400 '"error":"unknown language'
req POST "$URL/calls" '{"vars":{"nope":"1"}}'; check unknown-var 400 '"error":"unknown variable'
req POST "$URL/calls" '{"vars":{"receipt":"1234567890123456789012345678901234567890"}}'
check var-too-long 400 '"error":'
req POST "$URL/calls" '{"a":1,"a":2}'; check dup-key 400 '"error":'
req POST "$URL/calls/9/keys" '{"keys":"1x"}'; check non-dtmf 400 "is not a DTMF key"
req POST "$URL/calls/9/keys" '{"keys":""}'; check empty-keys 400 '"error":'
req POST "$URL/calls/9/keys" '{}'; check missing-keys 400 '"error":'
req POST "$URL/calls/9/keys"; check no-body 400 '"error":'
req POST "$URL/calls/9/keys" '{"keys":"1\u0000"}'; check nul-key 400 '"error":'
req POST "$URL/calls/9/done" '{"outcome":"maybe"}'; check bad-outcome 400 '"error":'
req GET "$URL/calls/999"; check unknown-call 404 '"error":'
req GET "$URL/calls/abc"; check bad-id 404 '"error":'
req GET "$URL/calls/99999999999999999999999"; check huge-id 404 '"error":'
req GET "$URL/nope"; check unknown-route 404 '"error":'
req GET "$URL/calls/1/nope"; check unknown-sub 404 '"error":'
req DELETE "$URL/calls"; check method-calls 405 '"error":'
req GET "$URL/calls/1/keys"; check method-keys 405 '"error":'
req POST "$URL/metrics"; check method-metrics 405 '"error":'
req GET "$URL/calls/9/events?since=abc"; check bad-since 400 '"error":'
python3 -c 'print("{\"line\":\"" + "x" * 100000 + "\"}")' >"$TMP/big.json"
req POST "$URL/calls" "@$TMP/big.json"; check body-too-large 413 '"error":'
python3 -c 'import sys; sys.stdout.write("{\"a\":" * 5000)' >"$TMP/deep.json"
req POST "$URL/calls" "@$TMP/deep.json"; check deep-json 400 '"error":'
python3 -c 'import sys; sys.stdout.write("x" * 3000000)' >"$TMP/huge.json"
req POST "$URL/calls" "@$TMP/huge.json"
if [ "$CODE" = 413 ] || [ "$CODE" = 000 ] || [ "$CODE" = 0 ]; then ok huge-body; else
	fail huge-body "status $CODE"; fi

# slow and invalid HTTP: garbage, a request cut off, a silent connection
python3 - "$port" <<'EOF' >"$TMP/raw.out" 2>&1
import socket, sys
port = int(sys.argv[1])
def send(data, read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                out += b
        except socket.timeout:
            pass
    s.close()
    return out
print(send(b"GARBAGE\r\n\r\n")[:12])
print(send(b"GET /calls HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", read=False))
print(send(b"\x00\xff\xfe\r\n\r\n")[:12])
print(send(b"POST /calls HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")[:12])
print(send(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n")[:12])
s = socket.create_connection(("127.0.0.1", port), timeout=3)
s.sendall(b"GET /heal")
s.close()
EOF
req GET "$URL/healthz"; check survives-raw-http 200 '^ok$'

# 5b. two external agents talk on helpdesk at once; when both are done no
#     agent is left on duty (none idle beside the queue)
req POST "$URL/calls" '{"line":"main"}'; ca=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$TMP/body")
req POST "$URL/calls/$ca/keys" '{"keys":"3"}'
req POST "$URL/calls" '{"line":"main"}'; cb=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$TMP/body")
req POST "$URL/calls/$cb/keys" '{"keys":"3"}'
req POST "$URL/calls/$ca/answer"; check two-agents-a 200 '"state":"talking"'
req POST "$URL/calls/$cb/answer"; check two-agents-b 200 '"state":"talking"'
req POST "$URL/calls/$ca/done" '{"outcome":"resolved"}'
req POST "$URL/calls/$cb/done" '{"outcome":"resolved"}'
check two-agents-done 200 '"outcome":"resolved-tier1"'
req GET "$URL/queues"
check two-agents-off 200 '"name":"helpdesk","tier":1,"agents_from":"api","waiting":0,"agents":\{"on_duty":0,"idle":0,"talking":0'

# metrics: the names, and every line a comment or `name{labels} value`
req GET "$URL/metrics"
check metrics 200 '^# TYPE tierline_calls_total counter$' \
	'^tierline_calls_total\{line="main",outcome="self-service"\} [0-9]+$' \
	'^tierline_calls_active [0-9]+$' '^tierline_queue_waiting\{queue="desk"\} [0-9]+$' \
	'^tierline_queue_offered_total\{queue="desk"\} [0-9]+$' \
	'^tierline_queue_answered_total\{queue="desk"\} [0-9]+$' \
	'^tierline_queue_abandoned_total\{queue="desk"\} [1-9][0-9]*$' \
	'^tierline_agents\{queue="desk",state="talking"\} [0-9]+$' \
	'^tierline_http_requests_total\{code="404"\} [0-9]+$' '^# HELP tierline_agents '
if grep -Ev '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? -?[0-9]+(\.[0-9]+)?)$' \
	"$TMP/body" >"$TMP/badlines"; then
	fail metrics-format "$(head -5 "$TMP/badlines")"; else ok metrics-format; fi

stop fast
# the run: mode serve, complete, every call placed stored (the live one hung up)
python3 - "$DB" >"$TMP/db.out" 2>&1 <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("select mode, complete from runs").fetchall())
print(c.execute("select count(*) from calls").fetchone()[0])
EOF
if grep -q "^\[('serve', 1)\]$" "$TMP/db.out" && grep -qx 11 "$TMP/db.out"; then ok db-run-complete; else
	fail db-run-complete "$(cat "$TMP/db.out")"; fi

# ---- the scenario staffs the desk ----------------------------------------
start scen "$FLOW" --scenario tests/e2e/serve/serve.scenario --seed 7
req GET "$URL/queues"
check scen-queues 200 '"name":"desk","tier":1,"agents_from":"scenario"' '"on_duty":1'
req POST "$URL/calls" '{"line":"main"}'
req POST "$URL/calls/1/keys" '{"keys":"0"}'
check scen-answered 200 '"state":"talking"'
req POST "$URL/calls/1/done" '{"outcome":"resolved"}'
check scen-done-refused 409 'scenario'
wait_for scen-resolved 1 '"outcome":"resolved-tier1"' 3
req POST "$URL/calls" '{"line":"main"}'
req POST "$URL/calls/2/keys" '{"keys":"3"}'
check scen-unstaffed 200 '"state":"queued"' '"queue":"helpdesk"'
stop scen

# ---- the shipped flows --------------------------------------------------------
start minimal flows/examples/minimal.flow
req POST "$URL/calls" '{"line":"main"}'
check minimal-place 201 '"node":"welcome"'
req POST "$URL/calls/1/keys" '{"keys":"0"}'
check minimal-queue 200 '"queue":"agents"' '"state":"queued"'
req POST "$URL/calls/1/answer"
req POST "$URL/calls/1/done" '{"outcome":"resolved"}'
check minimal-resolved 200 '"outcome":"resolved-tier1"'
req POST "$URL/calls" '{}'
req POST "$URL/calls/2/keys" '{"keys":"1"}'
check minimal-hours 200 '"node":"opening_hours"'
stop minimal

start uscis flows/uscis.flow
req POST "$URL/calls" '{"line":"main"}'
check uscis-place 201 '"node":"language_select"'
req POST "$URL/calls/1/keys" '{"keys":"1"}'
check uscis-english 200 '"node":"main"'
req POST "$URL/calls" '{"line":"main","lang":"es","vars":{"receipt":"EAC"}}'
check uscis-es 201 '"language":"es"'
req POST "$URL/calls" '{"line":"military"}'
check uscis-military 201 '"line":"military"'
req POST "$URL/calls/1/hangup"
check uscis-hangup 200 '"outcome":"abandoned-ivr"'
stop uscis

finish
