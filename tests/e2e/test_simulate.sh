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
expect_status sim-replications 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --no-db --json --replications 5
expect_output sim-replications-hw '"service_level_hw": [0-9.]+'
expect_status sim-human 0 "$TIERLINE" simulate $F $S --no-db
expect_output sim-human-table 'tier1 +1 +[0-9]+'
expect_output sim-human-containment 'IVR: containment [0-9.]+%'
expect_status sim-db 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --db "$TMP/t.db" --json
expect_output sim-db-run '"run": 1'
expect_status sim-db-second 0 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --db "$TMP/t.db" --json
expect_output sim-db-run2 '"run": 2'

# bad usage and input
expect_status sim-no-args 2 "$TIERLINE" simulate
expect_status sim-missing-flow 2 "$TIERLINE" simulate "$TMP/nope.flow" "$TMP/mmc.scenario" --no-db
expect_status sim-bad-seed 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --seed x
expect_status sim-bad-calls 2 "$TIERLINE" simulate "$TMP/mmc.flow" "$TMP/mmc.scenario" --calls -3
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
expect_status staff-bad-target 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario" --target 'qq 80%/20s'
expect_output staff-bad-target-msg "unknown queue 'qq' \(did you mean 'q'\?\)"
expect_status staff-no-target 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario"
expect_status staff-mixed-thresholds 2 "$TIERLINE" staff "$TMP/mmc.flow" "$TMP/mmc.scenario" --target '80%/20s, q 90%/30s'
finish
