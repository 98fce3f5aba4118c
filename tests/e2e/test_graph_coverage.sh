# test_graph_coverage.sh — `graph --coverage DB [--run ID]` draws how often
# stored calls visited each node and took each edge.
. tests/e2e/lib.sh

cat > "$TMP/cov.flow" <<'X'
flow cov { languages en }
line main "1" { start m }
menu m { prompt p; option 1 -> a; option 2 -> b; timeout 1s; tries 1 }
play a { prompt p; next -> hangup }
play b { prompt p; next -> hangup }
X
printf 'p: hello there\n' > /dev/null
cat > "$TMP/cov.scenario" <<'X'
scenario s {
  start 2026-11-30 08:00
  length 2h
  seed 9
  arrivals main { rate 100/h }
  caller { menu m { 1 75%; 2 25% } }
}
X
expect_status cov-simulate 0 "$TIERLINE" simulate "$TMP/cov.flow" "$TMP/cov.scenario" --db "$TMP/c.db" --json
calls=$(python3 -c "import json; print(json.load(open('$TMP/out'))['calls'])")
expect_status cov-graph 0 "$TIERLINE" graph "$TMP/cov.flow" --coverage "$TMP/c.db"
cp "$TMP/out" "$TMP/cov.dot"
a=$(sed -n 's/.*label="a\\nplay\\n\([0-9]*\) visits".*/\1/p' "$TMP/cov.dot")
b=$(sed -n 's/.*label="b\\nplay\\n\([0-9]*\) visits".*/\1/p' "$TMP/cov.dot")
m=$(sed -n 's/.*label="m\\nmenu\\n\([0-9]*\) visits".*/\1/p' "$TMP/cov.dot")
if [ -n "$a" ] && [ -n "$b" ] && [ "$m" = "$calls" ] && [ $((a + b)) -eq "$calls" ] && [ "$a" -gt "$b" ]; then
	ok cov-node-counts
else
	fail cov-node-counts "calls=$calls m=$m a=$a b=$b"
fi
if grep -q "label=\"1 ($a)\"" "$TMP/cov.dot" && grep -q "label=\"2 ($b)\"" "$TMP/cov.dot"; then
	ok cov-edge-counts; else fail cov-edge-counts "$(grep -- '->' "$TMP/cov.dot" | head -5)"; fi
expect_output cov-heat 'fillcolor="#ff[0-9a-f]{4}"'
expect_status cov-run 0 "$TIERLINE" graph "$TMP/cov.flow" --coverage "$TMP/c.db" --run 1
expect_status cov-no-run 2 "$TIERLINE" graph "$TMP/cov.flow" --coverage "$TMP/c.db" --run 7
expect_output cov-no-run-msg 'no run 7'
expect_status cov-bad-run 2 "$TIERLINE" graph "$TMP/cov.flow" --coverage "$TMP/c.db" --run x
expect_status cov-no-db 2 "$TIERLINE" graph "$TMP/cov.flow" --coverage "$TMP/missing.db"
expect_status cov-run-without-db 2 "$TIERLINE" graph "$TMP/cov.flow" --run 1
finish
