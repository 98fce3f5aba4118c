# test_replay_db.sh — `tierline replay` with --scenario, --db and --from.
#   --scenario: scripts without agent lines are answered by simulated agents;
#   --db: replayed calls are stored as one complete run (mode "replay");
#   --from: a simulated run replayed against its own flow changes nothing
#   (exit 0), against edited copies (tests/calls/db/desk-*.flow) exactly the
#   calls the edit touches change (exit 1), counted against SQL on the run;
#   bad databases, runs and options are exit 2.
. tests/e2e/lib.sh

FLOW=tests/calls/db/desk.flow
SCEN=tests/calls/db/desk.scenario
DB=$TMP/sim.db
sql() { sqlite3 "$DB" "$1"; }

# ---- --scenario --------------------------------------------------------------
for f in tests/calls/db/scenario/*.call; do
	n=$(basename "$f" .call)
	expect_status "scenario-$n" 0 "$TIERLINE" replay "$FLOW" "$f" --scenario "$SCEN"
	"$TIERLINE" replay "$FLOW" "$f" --scenario "$SCEN" --trace >"$TMP/t1" 2>&1
	"$TIERLINE" replay "$FLOW" "$f" --scenario "$SCEN" --trace >"$TMP/t2" 2>&1
	if cmp -s "$TMP/t1" "$TMP/t2"; then ok "scenario-$n-deterministic"; else
		fail "scenario-$n-deterministic" "two --trace runs differ"; fi
done
expect_status scenario-needed 1 "$TIERLINE" replay "$FLOW" tests/calls/db/scenario/no-agent-lines.call
expect_output scenario-needed-msg "expected outcome resolved-tier1, got abandoned-queue"
"$TIERLINE" replay "$FLOW" tests/calls/db/scenario/staff-rises.call --scenario "$SCEN" --trace >"$TMP/out" 2>&1
expect_output scenario-waits-for-staff "^ 1200\.000 > answer \(scenario: the queue is staffed\)"
# A script with `answer` lines is answered by them only.
"$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call --scenario "$SCEN" --trace >"$TMP/out" 2>&1
if grep -q 'scenario' "$TMP/out"; then fail scenario-lines-win "a simulated agent acted"; else ok scenario-lines-win; fi
expect_status scenario-bad 2 "$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call --scenario flows/uscis-weekday.scenario
expect_status scenario-missing 2 "$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call --scenario "$TMP/none.scenario"

# ---- --db --------------------------------------------------------------------
RDB=$TMP/replay.db
expect_status db-store 0 "$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call \
	tests/calls/db/scenario/no-agent-lines.call --scenario "$SCEN" --db "$RDB"
got=$(sqlite3 "$RDB" "SELECT mode, complete, calls, flow_path, scenario FROM runs")
want="replay|1|2|$FLOW|$SCEN"
if [ "$got" = "$want" ]; then ok db-run; else fail db-run "got $got" "want $want"; fi
sha=$(sha256sum "$FLOW" | cut -d' ' -f1)
if [ "$(sqlite3 "$RDB" "SELECT flow_sha256 FROM runs")" = "$sha" ]; then ok db-sha; else fail db-sha; fi
got=$(sqlite3 "$RDB" "SELECT seq, line, outcome FROM calls ORDER BY seq" | tr '\n' ' ')
if [ "$got" = "1|main|resolved-tier2 2|main|resolved-tier1 " ]; then ok db-calls; else fail db-calls "got $got"; fi
# found_free: the scenario's agent was free on entry.
got=$(sqlite3 "$RDB" "SELECT found_free FROM queue_legs WHERE call = 2")
if [ "$got" = "1" ]; then ok db-found-free; else fail db-found-free "got $got"; fi
# The stored replay run replays unchanged (--from on a replay run).
expect_status db-from-replay-run 0 "$TIERLINE" replay "$FLOW" --from "$RDB"
expect_status db-bad-path 2 "$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call --db "$TMP/no/such/dir/x.db"
expect_output db-bad-path-msg "tierline replay: .*x\.db"
if grep -q PASS "$TMP/out"; then fail db-bad-path-nothing-run "a script ran"; else ok db-bad-path-nothing-run; fi
expect_status db-directory 2 "$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call --db "$TMP"
# Without --db nothing is stored (replay is a test tool).
(cd "$TMP" && "$TIERLINE" replay "$ROOT/$FLOW" "$ROOT/tests/calls/db/agent-lines.call" >/dev/null 2>&1)
if [ -e "$TMP/tierline.db" ]; then fail db-default-off "tierline.db was created"; else ok db-default-off; fi

# ---- --from ------------------------------------------------------------------
expect_status from-simulate 0 "$TIERLINE" simulate "$FLOW" "$SCEN" --db "$DB"
N=$(sql "SELECT count(*) FROM calls")
expect_status from-same 0 "$TIERLINE" replay "$FLOW" --from "$DB"
expect_output from-same-total "$N calls, $N same, 0 path changed, 0 outcome changed$"
"$TIERLINE" replay "$FLOW" --from "$DB" >"$TMP/a" 2>&1
"$TIERLINE" replay tests/calls/db/desk-no-tier2.flow --from "$DB" >"$TMP/b1" 2>&1
"$TIERLINE" replay tests/calls/db/desk-no-tier2.flow --from "$DB" >"$TMP/b2" 2>&1
if cmp -s "$TMP/b1" "$TMP/b2"; then ok from-deterministic; else fail from-deterministic; fi

# info -> bye instead of hangup: every call through info changes path, none its outcome.
INFO=$(sql "SELECT count(DISTINCT call) FROM visits WHERE node = 'info'")
expect_status from-info-bye 1 "$TIERLINE" replay tests/calls/db/desk-info-bye.flow --from "$DB"
expect_output from-info-bye-total "$N calls, $((N - INFO)) same, $INFO path changed, 0 outcome changed$"
expect_output from-info-bye-call "^call [0-9]+: path welcome>info -> welcome>info>bye$"

# desk escalates to bye: every call that reached desk2 changes; the ones that
# ended other than self-service change outcome, to self-service.
T2=$(sql "SELECT count(DISTINCT call) FROM visits WHERE node = 'desk2'")
T2OUT=$(sql "SELECT count(*) FROM calls c WHERE outcome <> 'self-service' AND EXISTS
             (SELECT 1 FROM visits v WHERE v.call = c.seq AND v.node = 'desk2')")
R2=$(sql "SELECT count(*) FROM calls c WHERE outcome = 'resolved-tier2'")
expect_status from-no-tier2 1 "$TIERLINE" replay tests/calls/db/desk-no-tier2.flow --from "$DB"
expect_output from-no-tier2-total "$N calls, $((N - T2)) same, $((T2 - T2OUT)) path changed, $T2OUT outcome changed$"
expect_output from-no-tier2-transition "^  resolved-tier2 -> self-service: $R2$"
expect_output from-no-tier2-call "^call [0-9]+: outcome resolved-tier2 -> self-service; path welcome>desk>desk2 -> welcome>desk>bye$"

# a line the flow no longer has: reported per call, counted, not fatal.
NIGHT=$(sql "SELECT count(*) FROM calls WHERE line = 'night'")
expect_status from-no-night 1 "$TIERLINE" replay tests/calls/db/desk-no-night.flow --from "$DB"
expect_output from-no-night-total "$N calls, $((N - NIGHT)) same, 0 path changed, 0 outcome changed, $NIGHT not replayed$"
expect_output from-no-night-call "^call [0-9]+: line night is not in the flow \(not replayed\)$"

# --json
"$TIERLINE" replay tests/calls/db/desk-no-tier2.flow --from "$DB" --json >"$TMP/out" 2>"$TMP/err"
st=$?
if [ "$st" -eq 1 ] && python3 - "$TMP/out" "$N" "$T2" "$T2OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n, t2, t2out = map(int, sys.argv[2:])
assert d["calls"] == n and d["same"] == n - t2, d
assert d["outcome_changed"] == t2out and d["path_changed"] == t2 - t2out
assert len(d["changes"]) == t2
assert sum(t["n"] for t in d["transitions"]) == t2out
assert all(t["to"] == "self-service" for t in d["transitions"])
c = d["changes"][0]
assert "desk2" in c["old_path"] and "desk2" not in c["new_path"]
PY
then ok from-json; else fail from-json "exit $st" "$(head -3 "$TMP/err")"; fi

# --run: pick a run; the latest complete run by default.
expect_status from-second-run 0 "$TIERLINE" simulate "$FLOW" "$SCEN" --db "$DB" --seed 99
expect_status from-run-1 1 "$TIERLINE" replay tests/calls/db/desk-info-bye.flow --from "$DB" --run 1
expect_output from-run-1-msg "^run 1 "
expect_status from-latest 1 "$TIERLINE" replay tests/calls/db/desk-info-bye.flow --from "$DB"
expect_output from-latest-msg "^run 2 "

# ---- bad input ---------------------------------------------------------------
expect_status from-no-db 2 "$TIERLINE" replay "$FLOW" --from "$TMP/none.db"
expect_output from-no-db-msg "no such database"
if [ -e "$TMP/none.db" ]; then fail from-no-db-created "--from created a database"; else ok from-no-db-created; fi
expect_status from-no-run 2 "$TIERLINE" replay "$FLOW" --from "$DB" --run 99
expect_output from-no-run-msg "no run 99"
expect_status from-bad-run 2 "$TIERLINE" replay "$FLOW" --from "$DB" --run abc
expect_status from-zero-run 2 "$TIERLINE" replay "$FLOW" --from "$DB" --run 0
expect_status from-run-alone 2 "$TIERLINE" replay "$FLOW" --run 1
expect_status from-with-script 2 "$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call --from "$DB"
expect_status from-json-alone 2 "$TIERLINE" replay "$FLOW" tests/calls/db/agent-lines.call --json
printf 'not a database, just text\n' >"$TMP/garbage.db"
expect_status from-garbage 2 "$TIERLINE" replay "$FLOW" --from "$TMP/garbage.db"
expect_status from-directory 2 "$TIERLINE" replay "$FLOW" --from "$TMP"
expect_status from-bad-flow 2 "$TIERLINE" replay /nonexistent.flow --from "$DB"
# No complete run: an error by default, a warning with --run.
cp "$DB" "$TMP/incomplete.db"
sqlite3 "$TMP/incomplete.db" "UPDATE runs SET complete = 0"
expect_status from-no-complete 2 "$TIERLINE" replay "$FLOW" --from "$TMP/incomplete.db"
expect_output from-no-complete-msg "no complete run"
expect_status from-incomplete-run 0 "$TIERLINE" replay "$FLOW" --from "$TMP/incomplete.db" --run 1
expect_output from-incomplete-warning "warning: run 1 is incomplete"
# A malformed packed column is a clear error, not a crash.
cp "$DB" "$TMP/bad-row.db"
sqlite3 "$TMP/bad-row.db" "UPDATE calls SET legs = '[[1,2' WHERE seq = 3"
expect_status from-bad-row 2 "$TIERLINE" replay "$FLOW" --from "$TMP/bad-row.db" --run 1
expect_output from-bad-row-msg "call 3 of run 1: malformed"

finish
