#!/bin/sh
# test_scenario.sh — `tierline check FLOW SCENARIO`: the shipped USCIS
# scenarios check clean, every good test scenario checks clean, and every
# bad one gives exactly the diagnostics in its .expected file (the lines of
# the scenario's own file; the status is 1 when any of them is an error).
. "$ROOT/tests/e2e/lib.sh"

SMALL=tests/scenarios/flows/small.flow

for s in flows/uscis-weekday.scenario flows/uscis-monday-peak.scenario flows/uscis-storm.scenario; do
	expect_status "shipped $(basename "$s") checks clean (--strict)" 0 \
		"$TIERLINE" check --strict flows/uscis.flow "$s"
done

for s in tests/scenarios/good/*.scenario; do
	expect_status "good $(basename "$s")" 0 "$TIERLINE" check "$SMALL" "$s"
	if grep -q "^$s:" "$TMP/err"; then
		fail "good $(basename "$s") has no diagnostics" "$(grep "^$s:" "$TMP/err" | head -5)"
	else
		ok "good $(basename "$s") has no diagnostics"
	fi
done

for s in tests/scenarios/bad/*.scenario; do
	sname=$(basename "$s" .scenario)
	exp=${s%.scenario}.expected
	if [ ! -f "$exp" ]; then
		fail "bad $sname" "no $exp"
		continue
	fi
	want=0
	grep -q ': error: ' "$exp" && want=1
	expect_status "bad $sname exit $want" "$want" "$TIERLINE" check "$SMALL" "$s"
	grep "^$s:[0-9]*:[0-9]*: " "$TMP/err" >"$TMP/got"
	if cmp -s "$TMP/got" "$exp"; then ok "bad $sname diagnostics"; else
		fail "bad $sname diagnostics" "$(diff "$exp" "$TMP/got" | head -10)"; fi
done

# --strict turns the scenario's warnings into a failure.
expect_status "--strict fails on scenario warnings" 1 \
	"$TIERLINE" check --strict "$SMALL" tests/scenarios/bad/warnings.scenario

# --json: one array with both files' diagnostics.
expect_status "--json exit status" 1 "$TIERLINE" check --json "$SMALL" tests/scenarios/bad/unknown_line.scenario
if grep -q '"file": *"tests/scenarios/flows/small.flow"' "$TMP/out" &&
   grep -q '"code": *"unknown-line"' "$TMP/out" &&
   [ "$(grep -c '^\[' "$TMP/out")" -eq 1 ]; then ok "--json has both files in one array"; else
	fail "--json has both files in one array" "$(head -c 400 "$TMP/out")"; fi

# Files that cannot be read, and a flow with errors (the scenario is not read).
expect_status "missing scenario file: exit 2" 2 "$TIERLINE" check "$SMALL" "$TMP/none.scenario"
printf 'flow broken {\n' >"$TMP/broken.flow"
expect_status "flow with errors: exit 1" 1 "$TIERLINE" check "$TMP/broken.flow" tests/scenarios/good/every-construct.scenario

# The two files swapped, or the flow given twice: one error that says so,
# with the first statement's position, not an error per statement.
expect_status "swapped files: exit 1" 1 "$TIERLINE" simulate --no-db flows/uscis-weekday.scenario flows/uscis.flow
if [ "$(cat "$TMP/err")" = "flows/uscis-weekday.scenario:14:1: error: this is a scenario file, not a flow ('scenario' begins a scenario): give the flow file first, then the scenario" ]; then
	ok "swapped files: one wrong-file error"; else
	fail "swapped files: one wrong-file error" "$(head -5 "$TMP/err")"; fi
expect_status "flow as the scenario: exit 1" 1 "$TIERLINE" check flows/uscis.flow flows/uscis.flow
if [ "$(grep -c ': error: ' "$TMP/err")" -eq 1 ] &&
   grep -q "^flows/uscis.flow:64:1: error: this is a flow file, not a scenario ('flow' begins a flow): give the flow file first, then the scenario$" "$TMP/err"; then
	ok "flow as the scenario: one wrong-file error"; else
	fail "flow as the scenario: one wrong-file error" "$(head -5 "$TMP/err")"; fi
expect_status "scenario alone to check: exit 1" 1 "$TIERLINE" check --json flows/uscis-weekday.scenario
if grep -q '"code": "wrong-file"' "$TMP/out" && ! grep -q missing-header "$TMP/out"; then
	ok "scenario alone: wrong-file, no missing-header"; else
	fail "scenario alone: wrong-file, no missing-header" "$(head -c 400 "$TMP/out")"; fi

# Garbage never crashes: binary bytes, a NUL, deep nesting, a huge list.
printf 'scenario x {\0}\n' >"$TMP/nul.scenario"
expect_status "NUL byte: exit 1" 1 "$TIERLINE" check "$SMALL" "$TMP/nul.scenario"
awk 'BEGIN { printf "scenario x "; for (i = 0; i < 200; i++) printf "{"; print "" }' >"$TMP/deep.scenario"
expect_status "deep nesting: exit 1" 1 "$TIERLINE" check "$SMALL" "$TMP/deep.scenario"
awk 'BEGIN { print "scenario x { start 2026-11-30 07:00; length 1h"; printf "caller { menu main_menu { "; for (i = 0; i < 5000; i++) printf "1 1%%; "; print "} }"; print "}" }' >"$TMP/many.scenario"
expect_status "thousands of errors: exit 1" 1 "$TIERLINE" check "$SMALL" "$TMP/many.scenario"
expect_output "error count is capped" 'too many errors'

# A 'skill lang' queue with no agent speaking a language callers use: a
# warning (those callers used to wait for good without a word from check).
cat >"$TMP/sk.flow" <<'EOF2'
flow sk { languages en es }
line main "1" { start m }
menu m { prompt pm; option 1 -> q; option 2 -> sp }
set sp { lang es; next -> q }
queue q { tier 1; skill lang }
EOF2
cat >"$TMP/sk.scenario" <<'EOF2'
scenario s {
  start 2026-11-30 07:00
  length 2h
  arrivals main { rate 100/h }
  caller { menu m { 1 50%; 2 50% } }
  agents q { staff 10; handle 3m; speaks en 100%, es 5% }
}
EOF2
expect_status "skill lang, no speaker: exit 0" 0 "$TIERLINE" check "$TMP/sk.flow" "$TMP/sk.scenario"
expect_output "skill lang, no speaker: warning" "sk.scenario:6:3: warning: queue 'q' routes by language \\('skill lang'\\) but none of its agents speaks 'es'"
sed 's/es 5%/es 10%/' "$TMP/sk.scenario" >"$TMP/sk2.scenario"
expect_status "skill lang, one speaker in 10" 0 "$TIERLINE" check "$TMP/sk.flow" "$TMP/sk2.scenario"
if grep -q "routes by language" "$TMP/err"; then fail "skill lang, one speaker in 10: no warning" "$(cat "$TMP/err")"; else
	ok "skill lang, one speaker in 10: no warning"; fi

finish
