# test_readme.sh — the README's five-minute tour, run as written, so the
# front door cannot drift from the program.  Every `build/tierline` line of
# the tour's code block runs in a scratch directory (with the checkout's
# flows/ and tests/ beside it) and must exit 0; `call` and `serve` are left
# out because they wait for a person (test_call.sh and test_serve.sh cover
# them).  The files the tour says it writes must then exist and be sound.
. tests/e2e/lib.sh

awk '/^## A five-minute tour/ { tour = 1 } tour && /^```sh/ { code = 1; next }
     code && /^```/ { exit } code && /^build\/tierline / { print }' README.md >"$TMP/tour"
n=$(wc -l <"$TMP/tour")
if [ "$n" -ge 10 ]; then ok tour-found; else fail tour-found "only $n commands in the README tour"; fi

mkdir "$TMP/run"
ln -s "$ROOT/flows" "$TMP/run/flows"
ln -s "$ROOT/tests" "$TMP/run/tests"
i=0
while IFS= read -r cmd; do
	i=$((i + 1))
	case $cmd in
	"build/tierline call "* | "build/tierline serve "*) continue ;;
	esac
	# Every build/tierline in the line (a `&&` chain has two) runs $TIERLINE.
	run=$(printf '%s\n' "$cmd" | sed "s#build/tierline#\"\$TIERLINE\"#g")
	if (cd "$TMP/run" && sh -c "$run") >"$TMP/tour.$i.out" 2>"$TMP/tour.$i.err" </dev/null; then
		ok "tour-$i"
	else
		fail "tour-$i" "exit $?: $cmd" "$(head -5 "$TMP/tour.$i.err")"
	fi
done <"$TMP/tour"

for f in uscis.svg keys.wav tierline.db day.html queue_log Master.csv coverage.svg; do
	if [ -s "$TMP/run/$f" ]; then ok "tour-wrote-$f"; else fail "tour-wrote-$f" "missing or empty"; fi
done
if grep -q '<svg' "$TMP/run/uscis.svg" && grep -q '<svg' "$TMP/run/coverage.svg"; then
	ok tour-svg; else fail tour-svg "not SVG"; fi
# The replay of the shipped scripts passes every one of them.
rep=$(grep -n 'tests/calls/uscis/\*.call' "$TMP/tour" | cut -d: -f1)
if [ -n "$rep" ] && [ "$(grep -c '^PASS ' "$TMP/tour.$rep.out")" -ge 40 ] &&
   ! grep -q '^FAIL ' "$TMP/tour.$rep.out"; then ok tour-replay-all-pass; else
	fail tour-replay-all-pass "$(head -5 "$TMP/tour.$rep.out" 2>/dev/null)"; fi
finish
