# test_simulate.sh — `tierline simulate` and `tierline staff` end to end.
. tests/e2e/lib.sh

F=flows/uscis.flow
S=flows/uscis-weekday.scenario
cat > "$TMP/mmc.flow" <<'X'
flow mmc { languages en }
line main "1" { start q }
queue q { tier 1 }
X
cat > "$TMP/mmc.scenario" <<'X'
scenario mmc {
  start 2026-11-30 08:00
  length 4h
  seed 3
  arrivals main { rate 200/h }
  caller { patience exp(60s) }
  agents q { staff 11; handle exp(180s); outcome resolved 100% }
}
X

expect_status sim-mmc 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --json
cp "$TMP/out" "$TMP/a.json"
expect_output sim-json-keys '"service_level": 0\.[0-9]+'
expect_output sim-json-pwait '"p_wait"'
expect_output sim-json-intervals '"start": "2026-11-30T08:00"'
expect_status sim-mmc-again 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --json
if cmp -s "$TMP/a.json" "$TMP/out"; then ok sim-deterministic; else fail sim-deterministic "two runs differ"; fi
expect_status sim-other-seed 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --json --seed 4
if cmp -s "$TMP/a.json" "$TMP/out"; then fail sim-seed-matters "seed 4 gave seed 3's output"; else ok sim-seed-matters; fi
if python3 -c "import json,sys; d=json.load(open('$TMP/a.json')); q=d['queues']['q']; assert q['offered']==q['answered']+q['abandoned']+q['timed_out'], q; assert 700<d['calls']<900, d['calls']" 2>"$TMP/py"; then
	ok sim-conservation; else fail sim-conservation "$(cat "$TMP/py")"; fi

expect_status sim-calls 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --json --calls 5000
if python3 -c "import json; d=json.load(open('$TMP/out')); assert d['calls']==5000, d['calls']" 2>"$TMP/py"; then
	ok sim-calls-count; else fail sim-calls-count "$(cat "$TMP/py")"; fi
# --calls on a flow whose staffing changes during the day must end.
expect_status sim-calls-uscis 0 timeout 60 "$TIERLINE" simulate $F $S --no-db --json --calls 3000
if python3 -c "import json; d=json.load(open('$TMP/out')); assert d['placed']==3000, d['placed']" 2>"$TMP/py"; then
	ok sim-calls-uscis-count; else fail sim-calls-uscis-count "$(cat "$TMP/py")"; fi
# --calls N with a warm-up: N counted calls, so the run reports calls = N
# (calls placed during the warm-up run but count toward nothing).
expect_status sim-calls-warmup 0 "$TIERLINE" simulate tests/scenarios/flows/small.flow \
	tests/scenarios/good/every-construct.scenario --no-db --json --calls 1000
if python3 -c "import json; d=json.load(open('$TMP/out')); assert d['calls']==1000 and d['placed']>1000, (d['calls'], d['placed'])" 2>"$TMP/py"; then
	ok sim-calls-warmup-count; else fail sim-calls-warmup-count "$(cat "$TMP/py")"; fi
expect_status sim-replications 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --json --replications 5
expect_output sim-replications-hw '"service_level_hw": [0-9.]+'
expect_status sim-human 0 "$TIERLINE" simulate $F $S --no-db
expect_output sim-human-table 'tier1 +1 +[0-9]+'
expect_output sim-human-containment 'IVR: containment [0-9.]+%'
expect_status sim-db 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --db "$TMP/t.db" --json
expect_output sim-db-run '"run": 1'
expect_status sim-db-second 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --db "$TMP/t.db" --json
expect_output sim-db-run2 '"run": 2'

# --replications: every figure has its 95% half-width, the IVR's and each
# interval's too; interval counts are means per replication and add up to
# the queue's; interval ratios are pooled (within 0..1).
expect_status sim-rep-json 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --json --replications 4
if python3 -c "
import json; d=json.load(open('$TMP/out'))
assert d['replications']==4
assert d['calls_hw']>=0 and d['placed_hw']>=0, d
q=d['queues']['q']; t=d['total']
for k in ('offered','answered','abandoned','answered_within','service_level','asa','p_wait','abandon_rate','aht','occupancy','wait_mean','wait_p90','wait_p95'):
    assert q[k+'_hw']>=0, k
for k in ('offered','service_level','asa','occupancy','wait_p90','wait_p95'):
    assert abs(t[k]-q[k])<1e-6 and t[k+'_hw']>=0, k
i=d['ivr']
assert set(i['outcomes'])==set(i['outcomes_hw']) and i['outcomes'], i
assert set(i['transfers'])==set(i['transfers_hw']) and 'containment_hw' in i, i
ivs=d['intervals']; assert len(ivs)==8, len(ivs)
for v in ivs:
    for k in ('offered','answered','abandoned','answered_within','timed_out','service_level','asa','wait_mean','wait_p90','wait_p95','p_wait','abandon_rate','aht','occupancy'):
        assert v[k+'_hw']>=0, (k, v)
    assert 0<=v['wait_p90']<=v['wait_p95'], v
    assert 0<=v['service_level']<=1 and v['agents']==11, v
assert abs(sum(v['offered'] for v in ivs)-q['offered'])<1e-3, (sum(v['offered'] for v in ivs), q['offered'])
assert abs(sum(v['answered_within'] for v in ivs)-q['answered_within'])<1e-3
" 2>"$TMP/py"; then ok sim-rep-json-hw; else fail sim-rep-json-hw "$(cat "$TMP/py")"; fi
expect_status sim-rep-human 0 "$TIERLINE" simulate $F $S --no-db --replications 2
expect_output sim-rep-human-ivr 'IVR: containment [0-9.]+% ± [0-9.]+%'
expect_output sim-rep-human-outcomes 'outcomes: .*self-service [0-9.]+ ± [0-9.]+'
expect_output sim-rep-human-requests 'service requests: .*nbc [0-9.]+ ± [0-9.]+'
expect_output sim-rep-human-intervals '^  2026-12-02T10:00 +[0-9.]+ ± [0-9.]+ +[0-9.]+% ± '
# per interval: offered, SL, ASA, then the p90 and p95 waits, each with its ±
expect_output sim-rep-human-iv-p90 '^  2026-12-02T10:00 +[0-9.]+ ± [0-9.]+ +[0-9.]+% ± [0-9.]+% +([0-9.]+ ± [0-9.]+ +){3}[0-9.]+% ± '
expect_output sim-rep-human-iv-cols '^  start +offered +SL +ASA +p90 +p95 +abandn +AHT +agents +occ$'
expect_output sim-rep-human-p90-hw '^  ± 95% +([0-9]+ +){4}([0-9.]+% +)([0-9.]+ +){4}'
# the human table of one run: answered within and mean wait per queue, and
# per interval the abandonment rate, p_wait and AHT too
expect_status sim-human-mmc 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db
expect_output sim-human-cols 'offered answered abandon  within      SL     ASA    wait     p90     p95  p_wait  abandn     AHT    occ'
expect_output sim-human-iv-cols 'start +offered answered abandon  within      SL     ASA    wait     p90     p95  p_wait  abandn     AHT  agents    occ'
expect_output sim-human-iv-row '^  2026-11-30T08:00 +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+% +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+% +[0-9.]+% +[0-9.]+ +11 '
# one run's JSON: every interval has its p90/p95 (null only when nothing
# was answered in it), and the total has the pooled ones (one queue: the
# queue's)
if python3 -c "
import json; d=json.load(open('$TMP/a.json'))
q=d['queues']['q']; t=d['total']
assert t['wait_p90']==q['wait_p90'] and t['wait_p95']==q['wait_p95'], (t, q)
for v in d['intervals']:
    assert (v['wait_p90'] is None)==(v['answered']==0), v
    if v['answered']:
        assert 0<=v['wait_p90']<=v['wait_p95']<=q['wait_p95']*20, v
" 2>"$TMP/py"; then ok sim-json-interval-p90; else fail sim-json-interval-p90 "$(cat "$TMP/py")"; fi

# The progress line: on stderr for runs over a second when stderr is a
# terminal (with --json too: it never touches stdout); never otherwise.
expect_status sim-progress-notty 0 "$TIERLINE" simulate $F $S --no-db --json --replications 3
if [ -s "$TMP/err" ]; then fail sim-progress-notty-quiet "$(head -3 "$TMP/err")"; else ok sim-progress-notty-quiet; fi
if command -v script >/dev/null 2>&1; then
	script -qec "$TIERLINE simulate $F $S --no-db --json --replications 40 >/dev/null" /dev/null \
		>"$TMP/tty" 2>&1 </dev/null
	if tr '\r' '\n' <"$TMP/tty" | grep -Eq '^simulating: +[0-9.]+%  replication [0-9]+ of 40'; then
		ok sim-progress-tty; else fail sim-progress-tty "$(tr '\r' '\n' <"$TMP/tty" | tail -3)"; fi
	# ten updates a second at most: no two lines with the same elapsed
	# tenth of a second
	if tr '\r' '\n' <"$TMP/tty" | sed -n 's/^simulating:.*(\([0-9.]*\) s)$/\1/p' | sort | uniq -d | grep -q .; then
		fail sim-progress-throttled "$(tr '\r' '\n' <"$TMP/tty" | grep -c simulating) lines"
	else ok sim-progress-throttled; fi
fi

# --calls at a tiny rate runs for millennia of 30-minute intervals, past
# what the ACD's figures hold: an error, not queues that lost their calls
# (it printed offered 0 next to "transfers: tier1 10").
cat >"$TMP/tiny.scenario" <<'EOS'
scenario tiny {
  start 2026-11-30 07:00
  length 1h
  arrivals main { rate 0.0000001/h }
  agents desk { staff 4; handle 3m }
  agents desk2 { staff 2; handle 3m }
  agents night_q { staff 1; handle 3m }
}
EOS
expect_status sim-too-many-intervals 2 timeout 60 "$TIERLINE" simulate tests/scenarios/flows/small.flow "$TMP/tiny.scenario" --no-db --calls 10
expect_output sim-too-many-intervals-msg "more intervals than the figures can hold"

# bad usage and input
expect_status sim-no-args 2 "$TIERLINE" simulate
# --db and --no-db contradict each other, whatever DB is (tierline.db, the
# default, too).
expect_status sim-db-and-no-db 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --db "$TMP/x.db" --no-db
expect_status sim-default-db-and-no-db 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --db tierline.db
expect_output sim-db-and-no-db-msg 'exclude each other'
expect_status sim-missing-flow 2 "$TIERLINE" simulate "$TMP/nope.flow" "$TMP/mmc.scenario" --no-db
expect_status sim-bad-seed 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --seed x
expect_status sim-bad-calls 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --calls -3
# --calls beyond the per-run cap, or beyond int64 (strtoll saturated to
# LLONG_MAX and the run went on "forever"): usage errors.
expect_status sim-calls-huge 2 timeout 20 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --calls 99999999999999
expect_status sim-calls-overflow 2 timeout 20 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --calls 99999999999999999999999
expect_status sim-bad-sl 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --sl 20
expect_status sim-bad-option 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --frob
printf 'scenario x {\n  start 2026-11-30 08:00\n  length 4h\n  arrivals mian { rate 10/h }\n}\n' > "$TMP/bad.scenario"
expect_status sim-bad-scenario 1 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/bad.scenario" --no-db
expect_output sim-bad-scenario-diag 'bad\.scenario:4:[0-9]+: error: .*mian'
expect_status sim-db-is-dir 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --db "$TMP"

# staff
expect_status staff-mmc 0 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario" --target 'q 80%/20s, abandon<5%' --json
if python3 -c "
import json; d=json.load(open('$TMP/out'))
assert d['met'] is True
iv=d['queues']['q']['intervals']
assert all(i['met'] for i in iv)
assert all(8<=i['agents']<=16 for i in iv if i['offered']>20), [i['agents'] for i in iv]
" 2>"$TMP/py"; then ok staff-mmc-plan; else fail staff-mmc-plan "$(cat "$TMP/py")"; fi
# No patience: nobody abandons, and with 0 agents nobody is answered
# either.  Intervals whose calls nobody answered used to count as met, so
# the plan for 'abandon<5%' was 0 agents all day.
grep -v patience "$TMP/mmc.scenario" >"$TMP/nopat.scenario"
expect_status staff-no-patience 0 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/nopat.scenario" --target 'abandon<5%' --json
if python3 -c "
import json; d=json.load(open('$TMP/out')); q=d['queues']['q']
assert q['agent_hours'] > 0, q['agent_hours']
" 2>"$TMP/py"; then ok staff-no-patience-agents; else fail staff-no-patience-agents "$(cat "$TMP/py")"; fi
expect_output staff-no-patience-warning "no 'patience'"
expect_status staff-bad-target 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario" --target 'qq 80%/20s'
expect_output staff-bad-target-msg "unknown queue 'qq' \(did you mean 'q'\?\)"
expect_status staff-no-target 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario"
expect_status staff-mixed-thresholds 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario" --target '80%/20s, q 90%/30s'
expect_status staff-zero-threshold 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario" --target 'q 80%/0s'
expect_output staff-zero-threshold-msg "threshold must be above 0"
# An output that cannot be written is refused before the work, with the
# command's own name; nothing is stored for it.
expect_status report-no-folder 2 "$TIERLINE" simulate --db "$TMP/rep.db" --calls 50 --report "$TMP/none/r.html" "$TMP/mmc.flow" "$TMP/mmc.scenario"
expect_output report-no-folder-msg "^tierline simulate: cannot write $TMP/none/r.html: No such file or directory"
if [ ! -e "$TMP/rep.db" ]; then ok report-no-folder-nothing-stored; else fail report-no-folder-nothing-stored "$TMP/rep.db was made"; fi
expect_status report-is-folder 2 "$TIERLINE" simulate --db "$TMP/rep.db" --calls 50 --report "$TMP" "$TMP/mmc.flow" "$TMP/mmc.scenario"
expect_output report-is-folder-msg "cannot write $TMP: it is a folder"
expect_status staff-report-no-folder 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario" --target 'q 80%/20s' --report "$TMP/none/r.html"
expect_output staff-report-no-folder-msg "^tierline staff: cannot write $TMP/none/r.html"
# Common random numbers: with redials, a change of staffing changes who
# calls again, but not which keys a first-time caller presses before the
# queue (every caller draws from a stream of their own).
cat > "$TMP/crn.flow" <<'X'
flow crn { languages en }
line main "1" { start m }
menu m { prompt p; option 1 -> q; option 2 -> num; option 3 -> hangup }
input num { prompt p; digits 4..6; next -> q; failure -> q }
queue q { tier 1 }
X
cat > "$TMP/crn.scenario" <<'X'
scenario crn {
  start 2026-11-30 08:00
  length 4h
  arrivals main { rate 300/h }
  caller { think exp(2s); bargein 30%; patience exp(1m); redial 50% after exp(5m)
           input num { valid 80%; short 10%; noinput 10% } }
  agents q { staff 3; handle exp(3m) }
}
X
sed 's/staff 3;/staff 12;/' "$TMP/crn.scenario" > "$TMP/crn12.scenario"
rm -f "$TMP/crn.db"
expect_status crn-run-3 0 "$TIERLINE" simulate "$TMP/crn.flow" "$TMP/crn.scenario" --db "$TMP/crn.db"
expect_status crn-run-12 0 "$TIERLINE" simulate "$TMP/crn.flow" "$TMP/crn12.scenario" --db "$TMP/crn.db"
if python3 - "$TMP/crn.db" >"$TMP/py" 2>&1 <<'X'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
def first_keys(run):
    rows = db.execute("SELECT line, arrival, keys, legs FROM calls WHERE run = ?", (run,)).fetchall()
    seen, out = {}, {}
    for line, arr, keys, legs in rows:
        seen[(line, arr)] = seen.get((line, arr), 0) + 1
        legs = json.loads(legs)
        until = legs[0][2] if legs else 1 << 62
        k = json.loads(keys)
        out[(line, arr)] = [(k[i], k[i + 1]) for i in range(0, len(k), 2) if k[i + 1] < until]
    return {a: v for a, v in out.items() if seen[a] == 1}
a, b = first_keys(1), first_keys(2)
both = [x for x in a if x in b]
redials = db.execute("SELECT count(*) FROM calls WHERE run = 1").fetchone()[0] - \
          db.execute("SELECT count(*) FROM calls WHERE run = 2").fetchone()[0]
assert redials > 50, redials          # the staffing changed the redials
assert len(both) > 1000, len(both)    # the first-time callers are the same
diff = [x for x in both if a[x] != b[x]]
assert not diff, "%d of %d callers pressed other keys" % (len(diff), len(both))
X
then ok crn-keys-same; else fail crn-keys-same "$(cat "$TMP/py")"; fi

# Redials go on in the drain after the scenario's end (docs/simulate.md):
# nobody is on duty, callers give up after 5 s and half redial 10 min later.
cat > "$TMP/late.scenario" <<'X'
scenario late {
  start 2026-11-30 08:00
  length 1h
  arrivals main { rate 60/h }
  caller { patience const(5s); redial 50% after const(10m) }
  agents q { staff 0; handle const(1m) }
}
X
rm -f "$TMP/late.db"
expect_status redial-drain 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/late.scenario" --db "$TMP/late.db"
got=$(sqlite3 "$TMP/late.db" "SELECT count(*) FROM calls, runs WHERE calls.run = runs.id AND arrival >= sim_end AND arrival < sim_end + 600000")
if [ "${got:-0}" -gt 0 ]; then ok redial-drain-placed; else fail redial-drain-placed "no redial after the end: $got"; fi

# A database error names the file once.
echo "not a database" >"$TMP/junk.db"
expect_status bad-db 2 "$TIERLINE" simulate --db "$TMP/junk.db" --calls 50 "$TMP/mmc.flow" "$TMP/mmc.scenario"
expect_output bad-db-msg "^tierline simulate: $TMP/junk.db: reading the database: the file is not a SQLite database"
if grep -q "junk.db: $TMP/junk.db" "$TMP/err"; then fail bad-db-path-once "$(cat "$TMP/err")"; else ok bad-db-path-once; fi
# Common random numbers: what a caller does comes from the caller's own
# stream and each answered leg's talk from the leg's, so changing staffing
# changes no key any caller presses nor how long an answered call talks.  The
# flow has menus before and after queues (request -> bye), callers think
# past the 5 s timeout (exp(4s)), abandon, redial and are escalated: with
# one stream per purpose, draws went to other callers as soon as a leg
# ended at another time.  Calls are matched by line and arrival instant.
for st in 2 9; do
	cat >"$TMP/crn$st.scenario" <<X
scenario s {
  start 2026-11-30 08:00
  length 3h
  seed 3
  arrivals main { rate 150/h }
  arrivals night { rate 20/h }
  caller { think exp(4s); bargein 20%; patience exp(90s); redial 50% after exp(5m) }
  agents desk { staff $st; handle exp(4m); outcome resolved 70%, escalate 15%, request 15% }
  agents desk2 { staff 1; handle exp(5m) }
  agents night_q { staff 1; handle exp(3m) }
}
X
	rm -f "$TMP/crn$st.db"
	expect_status "crn-run-staff-$st" 0 "$TIERLINE" simulate --db "$TMP/crn$st.db" \
		tests/scenarios/flows/small.flow "$TMP/crn$st.scenario"
done
if python3 - "$TMP/crn2.db" "$TMP/crn9.db" >"$TMP/py" 2>&1 <<'PY'
import collections, json, sqlite3, sys
def calls(path):
    rows = sqlite3.connect(path).execute("SELECT line, arrival, keys, outcome, legs FROM calls").fetchall()
    n = collections.Counter((r[0], r[1]) for r in rows)
    def ivr_keys(keys, legs):
        # keys up to the first queue: one a caller decided before a try
        # failed over to a queue still comes while it waits, and a caller
        # who abandoned first never presses it
        k, l = json.loads(keys), json.loads(legs)
        end = l[0][2] if l else float("inf")
        return [(k[i], k[i + 1]) for i in range(0, len(k), 2) if k[i + 1] <= end]
    return {(r[0], r[1]): (ivr_keys(r[2], r[4]), r[4]) for r in rows if n[(r[0], r[1])] == 1}, rows
a, ra = calls(sys.argv[1])
b, rb = calls(sys.argv[2])
common = [k for k in a if k in b]
diff = [k for k in common if a[k][0] != b[k][0]]
# the first leg's talk, when both runs answered it: the same length
talks = same = 0
for k in common:
    la, lb = json.loads(a[k][1]), json.loads(b[k][1])
    if la and lb and la[0][3] is not None and lb[0][3] is not None:
        talks += 1
        same += la[0][4] - la[0][3] == lb[0][4] - lb[0][3]
assert talks > 50 and same == talks, (same, talks)
ab = lambda rows: sum(1 for r in rows if r[3] == "abandoned-queue")
# the staffing matters (else the test proves nothing) ...
assert ab(ra) > 3 * max(1, ab(rb)), (ab(ra), ab(rb))
assert len(ra) != len(rb), "no redials differ"
# ... and the first-time callers all pressed the same keys
assert len(common) > 350, len(common)
assert not diff, (len(diff), diff[:2], [a[k] for k in diff[:2]], [b[k] for k in diff[:2]])
print(len(common), "calls in both runs pressed the same keys;", talks, "talked as long")
PY
then ok crn-same-keys-any-staffing; else fail crn-same-keys-any-staffing "$(cat "$TMP/py")"; fi

# One decision a try: a caller who thinks past the no-input timeout presses
# what they decided into the next try and does not decide again on top of
# it.  Without barge-in, keys closer than the 250 ms an entry's keys are
# apart can only be two entries interleaved.
sed 's/bargein 20%; //' "$TMP/crn2.scenario" >"$TMP/nobarge.scenario"
rm -f "$TMP/nobarge.db"
expect_status one-decision-run 0 "$TIERLINE" simulate --db "$TMP/nobarge.db" \
	tests/scenarios/flows/small.flow "$TMP/nobarge.scenario"
if python3 - "$TMP/nobarge.db" >"$TMP/py" 2>&1 <<'PY'
import json, sqlite3, sys
bad = []
for seq, keys in sqlite3.connect(sys.argv[1]).execute("SELECT seq, keys FROM calls"):
    t = json.loads(keys)[1::2]
    if any(b - a < 250 for a, b in zip(t, t[1:])):
        bad.append((seq, keys))
assert not bad, (len(bad), bad[:2])
PY
then ok one-decision-a-try; else fail one-decision-a-try "$(cat "$TMP/py")"; fi
finish
