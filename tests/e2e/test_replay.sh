# test_replay.sh — `tierline replay` on every call script under tests/calls/.
#   tests/calls/<set>/*.call      must pass against the set's flow (below);
#   tests/calls/fail/*.call       must fail (exit 1) with exactly *.expected on stdout;
#   tests/calls/bad/*.call        must be rejected (exit 2) with exactly *.expected on stderr;
# every passing script is replayed twice with --trace and must give the same
# bytes, and every node of flows/uscis.flow must be visited by some script.
. tests/e2e/lib.sh

flow_of() {
	case $1 in
	uscis|fail|bad) echo flows/uscis.flow ;;
	every-construct) echo flows/examples/every-construct.flow ;;
	minimal) echo flows/examples/minimal.flow ;;
	fast) echo tests/calls/flows/fast.flow ;;
	db) echo tests/calls/db/desk.flow ;;
	*) echo "" ;;
	esac
}

total=0
for dir in tests/calls/*/; do
	set=$(basename "$dir")
	case $set in fail|bad|flows) continue ;; esac
	flow=$(flow_of "$set")
	if [ -z "$flow" ]; then fail "set-$set" "no flow known for tests/calls/$set"; continue; fi
	n=0
	for f in "$dir"*.call; do
		[ -f "$f" ] || continue
		n=$((n + 1)); total=$((total + 1))
		name="replay-$set-$(basename "$f" .call)"
		"$TIERLINE" replay "$flow" "$f" --trace >"$TMP/t1" 2>"$TMP/err"
		st=$?
		if [ "$st" -ne 0 ]; then
			fail "$name" "exit $st" "$(grep -v '^ *[0-9]*\.[0-9]* ' "$TMP/t1" | head -5)" "$(head -3 "$TMP/err")"
			continue
		fi
		"$TIERLINE" replay "$flow" "$f" --trace >"$TMP/t2" 2>&1
		if cmp -s "$TMP/t1" "$TMP/t2"; then ok "$name"; else
			fail "$name" "two --trace runs differ"; fi
		cat "$TMP/t1" >>"$TMP/trace-$set"
	done
	# All of a set at once: one summary line per script, exit 0.
	"$TIERLINE" replay "$flow" "$dir"*.call >"$TMP/out" 2>"$TMP/err"
	st=$?
	p=$(grep -c '^PASS ' "$TMP/out")
	if [ "$st" -eq 0 ] && [ "$p" -eq "$n" ]; then ok "replay-$set-all"; else
		fail "replay-$set-all" "exit $st, $p of $n PASS"; fi
done
if [ "$total" -ge 45 ]; then ok "script-count-$total"; else fail "script-count" "only $total scripts"; fi

# Scripts whose expectations must fail: exit 1, the exact failure lines.
for f in tests/calls/fail/*.call; do
	name="fail-$(basename "$f" .call)"
	"$TIERLINE" replay flows/uscis.flow "$f" >"$TMP/out" 2>"$TMP/err"
	st=$?
	if [ "$st" -ne 1 ]; then fail "$name" "exit $st, want 1" "$(head -3 "$TMP/out")"; continue; fi
	if diff -u "${f%.call}.expected" "$TMP/out" >"$TMP/diff"; then ok "$name"; else
		fail "$name" "$(head -12 "$TMP/diff")"; fi
done

# Malformed scripts: exit 2, the exact diagnostics, nothing runs.
for f in tests/calls/bad/*.call; do
	name="bad-$(basename "$f" .call)"
	"$TIERLINE" replay flows/uscis.flow "$f" >"$TMP/out" 2>"$TMP/err"
	st=$?
	if [ "$st" -ne 2 ]; then fail "$name" "exit $st, want 2" "$(head -3 "$TMP/out")"; continue; fi
	if diff -u "${f%.call}.expected" "$TMP/err" >"$TMP/diff"; then ok "$name"; else
		fail "$name" "$(head -12 "$TMP/diff")"; fi
	if grep -q "^INVALID $f\$" "$TMP/out" && ! grep -q '^ *[0-9]*\.[0-9]* ' "$TMP/out"; then
		ok "$name-nothing-ran"; else fail "$name-nothing-ran" "$(head -3 "$TMP/out")"; fi
done

# Several scripts: the highest status wins, every script gets its line.
expect_status mixed-status-1 1 "$TIERLINE" replay flows/uscis.flow \
	tests/calls/uscis/case-status-en.call tests/calls/fail/wrong-outcome.call
expect_status mixed-status-2 2 "$TIERLINE" replay flows/uscis.flow \
	tests/calls/fail/wrong-outcome.call tests/calls/bad/bad-key.call tests/calls/uscis/case-status-en.call
if grep -q '^FAIL tests/calls/fail/wrong-outcome.call (1 expectation failed)$' "$TMP/out" &&
   grep -q '^INVALID tests/calls/bad/bad-key.call$' "$TMP/out" &&
   grep -q '^PASS tests/calls/uscis/case-status-en.call$' "$TMP/out"; then ok mixed-summary; else
	fail mixed-summary "$(cat "$TMP/out")"; fi

# --line overrides the script's line.
expect_status line-override 0 "$TIERLINE" replay flows/uscis.flow tests/calls/uscis/tty-line.call --line tty
expect_status line-override-bad 2 "$TIERLINE" replay flows/uscis.flow tests/calls/uscis/tty-line.call --line ttyy
expect_output line-override-msg "unknown line 'ttyy' \(did you mean 'tty'\?\)"

# Every node of uscis.flow is visited by some script.
cat flows/uscis.flow flows/uscis/*.flow |
	grep -oE '^[[:space:]]*(menu|input|play|set|route|queue|request)[[:space:]]+[A-Za-z_][A-Za-z0-9_-]*' |
	awk '{print $2}' | sort -u >"$TMP/nodes"
grep -oE ' visit [A-Za-z_][A-Za-z0-9_-]* \(' "$TMP/trace-uscis" | awk '{print $2}' | sort -u >"$TMP/visited"
missing=$(comm -23 "$TMP/nodes" "$TMP/visited" | tr '\n' ' ')
if [ -s "$TMP/nodes" ] && [ -z "$missing" ]; then ok "uscis-node-coverage-$(wc -l <"$TMP/nodes")"; else
	fail uscis-node-coverage "not visited: $missing"; fi
# ... and every edge kind appears in some trace.
for kind in 'option ' 'no-input ' 'no-match ' 'failure \(no-input\)' 'failure \(no-match\)' \
            'stop .* \(barge-in\)' 'key . ignored' 'closed ' 'leg-end .* resolved' \
            'leg-end .* escalated' 'leg-end .* supervisor' 'leg-end .* request' \
            'leg-end .* abandoned' 'leg-end .* timeout' 'leg-end .* asked-supervisor' \
            'leg-end .* hangup-talking' 'referred to' 'filed with' 'input .* "'; do
	if cat "$TMP"/trace-* | grep -Eq -- "$kind"; then ok "edge-$(echo "$kind" | tr -cd 'a-z-')"; else
		fail "edge-$kind" "no trace line matches"; fi
done

# Missing inputs of --scenario and --from (tests/e2e/test_replay_db.sh has the rest).
expect_status scenario-missing 2 "$TIERLINE" replay flows/uscis.flow tests/calls/uscis/case-status-en.call --scenario x.scenario
expect_output scenario-msg "x.scenario: error: cannot read"
expect_status from-missing 2 "$TIERLINE" replay flows/uscis.flow --from "$TMP/none.db"
expect_output from-msg "no such database"
expect_status no-scripts 2 "$TIERLINE" replay flows/uscis.flow
expect_status no-flow 2 "$TIERLINE" replay
expect_status missing-flow 2 "$TIERLINE" replay /nonexistent.flow tests/calls/uscis/case-status-en.call
expect_status missing-script 2 "$TIERLINE" replay flows/uscis.flow /nonexistent.call
expect_output missing-script-msg "/nonexistent.call: error: cannot read"

# Recorded audio: DTMF keys detected in a WAV are replayed at their onsets.
if "$TIERLINE" dtmf gen 1 "$TMP/keys.wav" >/dev/null 2>&1; then
	expect_status wav-replay 0 "$TIERLINE" replay flows/uscis.flow "$TMP/keys.wav" --line main --trace
	expect_output wav-key '> press 1$'
	expect_output wav-english 'visit english'
	expect_status wav-needs-line 2 "$TIERLINE" replay flows/uscis.flow "$TMP/keys.wav"
	expect_output wav-needs-line-msg "needs --line"
fi
finish
