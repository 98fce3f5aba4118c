# test_graph.sh — `tierline graph`: DOT structure (nodes by kind, lines as
# entry points, labelled edges, shared built-ins), -o FILE.dot / FILE.svg,
# missing Graphviz, --coverage of a missing database (more in test_graph_coverage.sh), usage errors.
. tests/e2e/lib.sh
GOOD=tests/flows/good

expect_status dot-stdout 0 "$TIERLINE" graph "$GOOD/spec.flow"
cp "$TMP/out" "$TMP/spec.dot"
has() {   # has NAME FIXED-STRING: the DOT contains the line fragment
	if grep -qF -- "$2" "$TMP/spec.dot"; then ok "$1"; else fail "$1" "no: $2"; fi
}
has dot-header 'digraph "uscis" {'
has dot-line 'label="line main\n1-800-375-5283"'
has dot-line-channel 'label="line tty\n1-800-767-1833\n(tty)"'
has dot-menu 'shape=box, label="main\nmenu"'
has dot-input 'shape=parallelogram, label="receipt\ninput"'
has dot-play 'shape=note, label="hours_info\nplay"'
has dot-set 'shape=component, label="spanish\nset"'
has dot-route 'shape=diamond, label="live_agent\nroute"'
has dot-queue 'shape=cylinder, label="tier1\nqueue (tier 1)"'
has dot-request 'shape=folder, label="case_sr\nrequest"'
has dot-hangup 'builtin_hangup [shape=doublecircle'
has dot-back 'builtin_back [shape=circle'
has dot-top 'builtin_top [shape=circle'
has dot-repeat 'builtin_repeat [shape=circle'
for l in '"1"' '"*"' '"#"' '"failure"' '"failure (no-input)"' '"failure (no-match)"' \
         '"timeout"' '"open live_help"' '"closed"' '"lang es"' '"else"' '"escalate"' \
         '"supervisor"' '"request"' '"next"' '"line military"' '"receipt prefix \"322\""' \
         '"open military_hours"'; do
	has "dot-edge-$l" "[label=$l"
done
# Built-ins are shared: one node each however many edges lead there.
if [ "$(grep -c '^  builtin_hangup \[' "$TMP/spec.dot")" -eq 1 ]; then ok dot-hangup-once
else fail dot-hangup-once; fi
# Every node of the flow appears once (21 nodes, 3 lines).
if [ "$(grep -c '^  n[0-9]* \[shape' "$TMP/spec.dot")" -eq 21 ] &&
   [ "$(grep -c '^  line[0-9]* \[shape=cds' "$TMP/spec.dot")" -eq 3 ]
then ok dot-node-count; else fail dot-node-count; fi

expect_status dot-file 0 "$TIERLINE" graph "$GOOD/spec.flow" -o "$TMP/g.dot"
if cmp -s "$TMP/g.dot" "$TMP/spec.dot"; then ok dot-file-same; else fail dot-file-same; fi

if command -v dot >/dev/null 2>&1; then
	expect_status dot-parses 0 dot -Tsvg -o "$TMP/check.svg" "$TMP/spec.dot"
	expect_status svg 0 "$TIERLINE" graph "$GOOD/spec.flow" -o "$TMP/g.svg"
	if grep -q '<svg' "$TMP/g.svg"; then ok svg-content; else fail svg-content; fi
fi
# Without Graphviz on PATH: a clear message and exit 2.
mkdir -p "$TMP/emptybin"
expect_status svg-no-dot 2 env PATH="$TMP/emptybin" "$TIERLINE" graph "$GOOD/spec.flow" -o "$TMP/x.svg"
expect_output svg-no-dot-msg "needs Graphviz 'dot', which is not on PATH"
expect_status coverage-missing-db 2 "$TIERLINE" graph "$GOOD/spec.flow" --coverage "$TMP/x.db" --run 3
expect_output coverage-missing-db-msg 'x\.db: no such database file'
expect_status bad-ext 2 "$TIERLINE" graph "$GOOD/spec.flow" -o "$TMP/x.png"
expect_status no-args 2 "$TIERLINE" graph
expect_status o-no-value 2 "$TIERLINE" graph "$GOOD/spec.flow" -o
expect_status bad-flow 1 "$TIERLINE" graph tests/flows/bad/unknown_node.flow
expect_output bad-flow-msg "unknown node 'tier_one'"
expect_status missing-flow 2 "$TIERLINE" graph "$TMP/none.flow"
# The shipped flows draw.
for f in flows/*.flow flows/*/*.flow; do
	[ -f "$f" ] || continue
	grep -q '^flow ' "$f" || continue
	expect_status "shipped-$(basename "$f" .flow)" 0 "$TIERLINE" graph "$f"
done
finish
