# test_check.sh — `tierline check`: the bad-input corpus (tests/flows/bad,
# every NAME.flow against NAME.expected), inputs too big or too binary to
# commit (generated here), the good corpus, the shipped flows, exit codes,
# --strict, --json and usage errors.
. tests/e2e/lib.sh
BAD=tests/flows/bad
GOOD=tests/flows/good

# The diagnostic lines of a run (the closing summary line is not one).
diags() { grep -E '^[^ ].*: (error|warning|note): ' "$1"; }

# check_case NAME DIR FLOW: run `check FLOW` in DIR; compare the diagnostics
# with $BAD/NAME.expected exactly, and the exit status with what they imply.
check_case() {
	name=$1; dir=$2; flow=$3
	exp=$BAD/$name.expected
	if [ ! -f "$exp" ]; then fail "bad-$name" "no $exp"; return; fi
	(cd "$dir" && "$TIERLINE" check "$flow") >"$TMP/out" 2>"$TMP/err" </dev/null
	st=$?
	diags "$TMP/err" >"$TMP/got"
	want=0
	grep -q ': error: ' "$exp" && want=1
	if [ "$st" -ne "$want" ]; then
		fail "bad-$name" "exit $st, want $want" "$(head -5 "$TMP/err")"
	elif ! cmp -s "$exp" "$TMP/got"; then
		fail "bad-$name" "diagnostics differ (want, got):" "$(diff "$exp" "$TMP/got" | head -20)"
	else
		ok "bad-$name"
	fi
}

n=0
for f in "$BAD"/*.flow; do
	[ -f "$f" ] || continue
	check_case "$(basename "$f" .flow)" . "$f"
	n=$((n + 1))
done

# ---- generated inputs, written where the paths in messages match ----------
G=$TMP/$BAD
mkdir -p "$G"
printf 'flow t { languages en }\nline main "1-555\0000100" { start q }\nqueue q { tier 1 }\n' \
	>"$G/gen_nul_bytes.flow"
printf 'flow t { languages en }\n# caf\351 in Latin-1, not UTF-8\nline main "1" { start q }\n' \
	>"$G/gen_invalid_utf8.flow"
printf '\211PNG\r\n\032\n\000\000\000\rIHDR\000\000\001\000' >"$G/gen_binary_garbage.flow"
# 100,000 nested braces: bounded with an error, no recursion.
{ printf 'flow t { languages en }\n'; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{"; print "" }'; } \
	>"$G/gen_nested_braces.flow"
# A 1 MB identifier.
{ printf 'flow t { languages en }\nmenu '; awk 'BEGIN { for (i = 0; i < 1048576; i++) printf "a"; print " { prompt x }" }'; } \
	>"$G/gen_long_ident.flow"
# A 5 MB flow: 55,000 chained announcements, one typo on the last line.
awk 'BEGIN {
	print "flow big { languages en }"
	print "line main \"1-555-0100\" { start p0 }"
	pad = "# padding to make each line about one hundred bytes long ......"
	for (i = 0; i < 55000; i++)
		printf "play p%d { prompt hello; next -> p%d } %s\n", i, i + 1, pad
	print "play p55000 { prompt hello; next -> hangpu }"
}' >"$G/gen_5mb.flow"
size=$(wc -c <"$G/gen_5mb.flow")
if [ "$size" -ge 5242880 ]; then ok "gen-5mb-size"; else fail "gen-5mb-size" "only $size bytes"; fi
# A file that ends inside a string, with no newline.
printf 'flow t { languages en }\nline main "1-555-0100" { start q }\nqueue q { tier 1; escalate -> "q' \
	>"$G/gen_unterminated_eof.flow"

for f in "$G"/gen_*.flow; do
	check_case "$(basename "$f" .flow)" "$TMP" "$BAD/$(basename "$f")"
	n=$((n + 1))
done
if [ "$n" -ge 45 ]; then ok "bad-corpus-size"; else fail "bad-corpus-size" "only $n cases"; fi

# Speed on the 5 MB file, in passing: well under the 10 s a test may take.
start=$(date +%s)
"$TIERLINE" check "$G/gen_5mb.flow" >/dev/null 2>&1
if [ $(( $(date +%s) - start )) -le 10 ]; then ok "gen-5mb-fast"; else fail "gen-5mb-fast" "took over 10 s"; fi

# ---- good flows: valid, and without warnings ------------------------------
for f in "$GOOD"/*.flow; do
	name=good-$(basename "$f" .flow)
	expect_status "$name" 0 "$TIERLINE" check --strict "$f"
done
expect_status good-summary 0 "$TIERLINE" check "$GOOD/spec.flow"
if grep -qx "$GOOD/spec.flow: ok (3 lines, 21 nodes, 5 queues, 6 offices, 13 prompts; 0 warnings)" "$TMP/out"
then ok good-summary-text; else fail good-summary-text "$(cat "$TMP/out")"; fi

# ---- the shipped flows (those with a header; others are included files) ---
for f in flows/*.flow flows/*/*.flow; do
	[ -f "$f" ] || continue
	grep -q '^flow ' "$f" || continue
	expect_status "shipped-$(basename "$f" .flow)" 0 "$TIERLINE" check "$f"
done

# ---- options and exit codes ------------------------------------------------
expect_status warn-ok 0 "$TIERLINE" check "$BAD/warn_unreachable.flow"
expect_output warn-ok-summary 'ok \(1 line, 4 nodes, 1 queue, 0 offices, 3 prompts; 2 warnings\)'
expect_status warn-strict 1 "$TIERLINE" check --strict "$BAD/warn_unreachable.flow"
expect_output warn-strict-msg '2 warnings \(--strict makes them errors\)'
expect_status json-bad 1 "$TIERLINE" check --json "$BAD/unknown_node.flow"
if grep -q '"code": "unknown-name"' "$TMP/out" &&
   grep -q '"message": "unknown node '"'"'tier_one'"'"' (did you mean '"'"'tier1'"'"'?)"' "$TMP/out" &&
   grep -q '"line": 5, "column": 15, "severity": "error"' "$TMP/out" &&
   [ ! -s "$TMP/err" ]
then ok json-bad-content; else fail json-bad-content "$(head -5 "$TMP/out")"; fi
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==3' "$TMP/out"
	then ok json-parses; else fail json-parses "$(head -5 "$TMP/out")"; fi
fi
expect_status json-good 0 "$TIERLINE" check --json "$GOOD/spec.flow"
if [ "$(cat "$TMP/out")" = "[]" ]; then ok json-good-empty; else fail json-good-empty "$(head -3 "$TMP/out")"; fi
expect_status missing-file 2 "$TIERLINE" check "$TMP/no-such.flow"
expect_output missing-file-msg "cannot read '.*no-such.flow': No such file or directory"
expect_status directory 2 "$TIERLINE" check "$BAD/inc"
expect_status no-args 2 "$TIERLINE" check
expect_status bad-option 2 "$TIERLINE" check --frob "$GOOD/spec.flow"
expect_output bad-option-msg "unknown option '--frob'"
expect_status too-many-args 2 "$TIERLINE" check a b c
# A second argument is a scenario (checked by the scenario module); an
# unreadable one is bad input.
expect_status scenario-missing 2 "$TIERLINE" check "$GOOD/spec.flow" "$TMP/none.scenario"
finish
