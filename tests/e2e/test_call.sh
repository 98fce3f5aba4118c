# test_call.sh — `tierline call` with keys piped in (real time, on the fast
# flow tests/calls/flows/fast.flow), and the round trip: the call script
# recorded with --record replays to the same call.  The calls run side by side
# so the whole test takes a few seconds.
. tests/e2e/lib.sh
FLOW=tests/calls/flows/fast.flow

# start NAME KEYS-SCRIPT ARGS...: in the background, pipe `sh -c KEYS-SCRIPT`
# into tierline call --record $TMP/NAME.call; output in $TMP/NAME.out.
start() {
	name=$1; keys=$2; shift 2
	( sh -c "$keys" | "$TIERLINE" call "$FLOW" --record "$TMP/$name.call" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"; echo $? >"$TMP/$name.st" ) &
}

# check NAME OUTCOME PATTERN...: exit 0, the outcome, each pattern in the
# output, and the recorded script replays with every expectation holding.
check() {
	name=$1; outcome=$2; shift 2
	st=$(cat "$TMP/$name.st" 2>/dev/null)
	if [ "$st" = 0 ]; then ok "$name"; else fail "$name" "exit $st" "$(head -5 "$TMP/$name.err")"; fi
	if grep -q "^outcome: $outcome\$" "$TMP/$name.out"; then ok "$name-outcome"; else
		fail "$name-outcome" "want $outcome" "$(tail -4 "$TMP/$name.out")"; fi
	for pat in "$@"; do
		if grep -Eq -- "$pat" "$TMP/$name.out"; then ok "$name-shows"; else
			fail "$name-shows" "no match for: $pat" "$(head -20 "$TMP/$name.out")"; fi
	done
	if grep -q "^expect outcome $outcome\$" "$TMP/$name.call" &&
	   "$TIERLINE" replay "$FLOW" "$TMP/$name.call" >"$TMP/$name.rout" 2>&1; then
		ok "$name-replays"; else
		fail "$name-replays" "$(cat "$TMP/$name.rout")" "$(cat "$TMP/$name.call")"; fi
}

# 1. info, then the desk; the person at the keyboard answers and escalates;
#    desk2 times out (max_wait 1s).
start info-desk 'sleep 0.3; printf 1; sleep 0.6; printf 0; sleep 0.2; printf a; sleep 0.2; printf e'
# 2. A multi-key option typed as one burst, then a request filed by the agent.
start burst 'sleep 0.2; printf 23; sleep 0.6; printf 0; sleep 0.2; printf a; sleep 0.1; printf q'
# 3. A wrong key, then silence: failure -> desk; the input has ended and nothing
#    will answer: the caller hangs up (abandoned-queue).
start misses 'sleep 0.2; printf 5'
# 4. No input at all: the call runs on by itself (timeouts, failure, queue).
start eof 'true'
# 5. Newlines are ignored, letters that are no key are reported, h hangs up.
start hangup 'sleep 0.1; printf "x\n"; sleep 0.1; printf h'
# 6. Agent keys that do not apply are refused, and not recorded.
start refused 'sleep 0.1; printf r; sleep 0.1; printf 0; sleep 0.2; printf ar'
# 7. --at places the call at a local time; the recording keeps it.
start at 'sleep 0.1; printf 1' --at '2026-11-30 10:00'
# 9. Keys from a regular file and from /dev/null: epoll cannot watch either,
#    so the console reads them without it (no libevent warning, same call).
printf '1' >"$TMP/keys.txt"
( "$TIERLINE" call "$FLOW" --record "$TMP/file.call" <"$TMP/keys.txt" \
	>"$TMP/file.out" 2>"$TMP/file.err"; echo $? >"$TMP/file.st" ) &
( "$TIERLINE" call "$FLOW" --record "$TMP/devnull.call" </dev/null \
	>"$TMP/devnull.out" 2>"$TMP/devnull.err"; echo $? >"$TMP/devnull.st" ) &
# 10. Standard input closed: no keys (as /dev/null); standard output closed:
#    exit 2 "cannot write the output", and the recording is not where the
#    console's lines went (a file opened next would have taken fd 1).
( "$TIERLINE" call "$FLOW" --record "$TMP/noin.call" <&- \
	>"$TMP/noin.out" 2>"$TMP/noin.err"; echo $? >"$TMP/noin.st" ) &
( "$TIERLINE" call "$FLOW" <&- >"$TMP/noin2.out" 2>"$TMP/noin2.err"; echo $? >"$TMP/noin2.st" ) &
( "$TIERLINE" call "$FLOW" --record "$TMP/noout.call" </dev/null >&- \
	2>"$TMP/noout.err"; echo $? >"$TMP/noout.st" ) &
# 8. SIGINT hangs up cleanly and still prints the outcome.
( sleep 3 ) | "$TIERLINE" call "$FLOW" >"$TMP/sigint.out" 2>"$TMP/sigint.err" &
sigpid=$!
# Wait for the call to be placed (its handlers are installed by then: a
# background job starts with SIGINT ignored until the console catches it).
i=0
while [ $i -lt 50 ] && ! grep -q 'call to main' "$TMP/sigint.out" 2>/dev/null; do
	sleep 0.05; i=$((i + 1))
done
kill -INT "$sigpid" 2>/dev/null
wait "$sigpid"
sigst=$?
wait

check info-desk self-service '▶ f_menu: "Choose\."' '⏳ queued at desk \(position 1\)' \
	'☎ agent answered at desk' 'left desk2 \(timeout\)'
if grep -q '^expect visit desk2$' "$TMP/info-desk.call" &&
   grep -Eq '^[0-9.]+ answer$' "$TMP/info-desk.call" &&
   grep -Eq '^[0-9.]+ escalate$' "$TMP/info-desk.call"; then ok info-desk-recorded; else
	fail info-desk-recorded "$(cat "$TMP/info-desk.call")"; fi
check burst request-filed '✓ option 23' '✉ service request filed with main_office'
if grep -Eq '^[0-9.]+ press 23 every 0ms$' "$TMP/burst.call"; then ok burst-recorded; else
	fail burst-recorded "$(cat "$TMP/burst.call")"; fi
check misses abandoned-queue '✗ no match \(1\)' 'the caller hangs up'
check eof abandoned-queue '✗ no input \(2\)'
check hangup abandoned-ivr "'x' is not a key"
check refused resolved-tier1 'no agent is talking'
if [ "$(grep -c 'resolved$' "$TMP/refused.call")" -eq 1 ]; then ok refused-not-recorded; else
	fail refused-not-recorded "$(cat "$TMP/refused.call")"; fi
check at failed
if grep -q '^call main at 2026-11-30 10:00$' "$TMP/at.call"; then ok at-recorded; else
	fail at-recorded "$(head -3 "$TMP/at.call")"; fi
check file failed '✓ option 1' '✗ out of tries at menu2'
check devnull abandoned-queue '✗ no input \(2\)'
if [ ! -s "$TMP/file.err" ] && [ ! -s "$TMP/devnull.err" ]; then ok file-input-quiet; else
	fail file-input-quiet "$(cat "$TMP/file.err" "$TMP/devnull.err")"; fi
check noin abandoned-queue '✗ no input \(2\)'
if [ "$(cat "$TMP/noin2.st")" = 0 ] && grep -q '^outcome: abandoned-queue$' "$TMP/noin2.out"; then
	ok closed-stdin; else fail closed-stdin "exit $(cat "$TMP/noin2.st")" "$(cat "$TMP/noin2.err")"; fi
if [ "$(cat "$TMP/noout.st")" = 2 ] && grep -q 'cannot write the output' "$TMP/noout.err" &&
   ! grep -q 'call ended' "$TMP/noout.call" &&
   "$TIERLINE" replay "$FLOW" "$TMP/noout.call" >"$TMP/noout.rout" 2>&1; then
	ok closed-stdout-record-intact; else
	fail closed-stdout-record-intact "exit $(cat "$TMP/noout.st")" "$(cat "$TMP/noout.err")" \
		"$(head -5 "$TMP/noout.call")"; fi
if [ "$sigst" -eq 0 ] && grep -q '^outcome: abandoned-ivr$' "$TMP/sigint.out" &&
   grep -q 'hangs up (Ctrl-C)' "$TMP/sigint.out"; then ok sigint-hangup; else
	fail sigint-hangup "exit $sigst" "$(tail -3 "$TMP/sigint.out")"; fi

# Usage errors: exit 2, nothing recorded.
expect_status bad-line 2 "$TIERLINE" call "$FLOW" --line mian --record "$TMP/no.call"
expect_output bad-line-msg "unknown line 'mian' \(did you mean 'main'\?\)"
if [ ! -e "$TMP/no.call" ]; then ok bad-line-no-record; else fail bad-line-no-record; fi
expect_status bad-lang 2 "$TIERLINE" call "$FLOW" --lang fr
expect_status bad-at 2 "$TIERLINE" call "$FLOW" --at 'tomorrow'
expect_status bad-option 2 "$TIERLINE" call "$FLOW" --frobnicate
expect_status missing-flow 2 "$TIERLINE" call /nonexistent.flow
expect_status unwritable-record 2 "$TIERLINE" call "$FLOW" --record /nonexistent/dir/x.call
expect_status help 0 "$TIERLINE" call --help
expect_output help-keys 'a +answer the waiting call'
finish
