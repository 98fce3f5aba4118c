# test_cli.sh — the command line: help, version, unknown commands.
. tests/e2e/lib.sh

expect_status version 0 "$TIERLINE" --version
expect_output version-text '^tierline [0-9]+\.[0-9]+\.[0-9]+$'
expect_status no-args 2 "$TIERLINE"
expect_status unknown-command 2 "$TIERLINE" frobnicate
expect_output unknown-command-msg "unknown command 'frobnicate'"
expect_status help 0 "$TIERLINE" --help
for c in check graph call replay simulate staff erlang serve report dtmf; do
	expect_status "help-$c" 0 "$TIERLINE" "$c" --help
	expect_output "help-$c-usage" "usage: tierline $c"
	# Every option of the usage lines is explained under it, on a line of
	# its own, and `tierline help C` prints the same text.
	cp "$TMP/out" "$TMP/help"
	missing=
	for o in $(sed -n '/^usage:/,/^$/p' "$TMP/help" | grep -o -- '--[a-z-]*' | sort -u); do
		grep -Eq -- "^  +$o( |$)" "$TMP/help" || missing="$missing $o"
	done
	if [ -z "$missing" ]; then ok "help-$c-options"; else fail "help-$c-options" "not explained:$missing"; fi
	"$TIERLINE" help "$c" >"$TMP/help2" 2>&1
	if cmp -s "$TMP/help" "$TMP/help2"; then ok "help-$c-same"; else
		fail "help-$c-same" "$(diff "$TMP/help" "$TMP/help2" | head -5)"; fi
done
# The audio libraries are opened when audio is first used, not at start-up
# (audiolib.h): a simulation never loads them; dtmf does, and works.
if LD_DEBUG=files "$TIERLINE" simulate --no-db --calls 10 flows/uscis.flow \
	flows/uscis-weekday.scenario >/dev/null 2>"$TMP/ld"; then
	if grep -Eq 'file=lib(sndfile|spandsp)' "$TMP/ld"; then
		fail no-audio-libs "simulate loaded: $(grep -Eo 'file=lib(sndfile|spandsp)[^ ]*' "$TMP/ld" | sort -u | tr '\n' ' ')"
	else ok no-audio-libs; fi
else fail no-audio-libs "simulate failed"; fi
"$TIERLINE" dtmf gen 159 "$TMP/k.wav" >/dev/null 2>&1
LD_DEBUG=files "$TIERLINE" dtmf detect "$TMP/k.wav" >"$TMP/keys" 2>"$TMP/ld"
if grep -q 'file=libsndfile' "$TMP/ld" && grep -q 'file=libspandsp' "$TMP/ld" &&
	grep -q '1' "$TMP/keys" && grep -q '5' "$TMP/keys" && grep -q '9' "$TMP/keys"; then
	ok audio-libs-on-use; else fail audio-libs-on-use "$(head -3 "$TMP/keys")"; fi
# Prompt audio is read through the library opened on use: the prompt
# lasts as long as its WAV (1 s tone + 1.5 s gap), not its text's time.
mkdir -p "$TMP/pa/p/en"
"$TIERLINE" dtmf gen 1 "$TMP/pa/p/en/hi.wav" --tone 1000ms --gap 1500ms >/dev/null 2>&1
printf 'flow t { languages en; prompts "p" }\nline main "1" { start greet }\nplay greet { prompt hi }\n' \
	>"$TMP/pa/t.flow"
printf 'call main\nexpect visit greet\n' >"$TMP/pa/a.call"
"$TIERLINE" replay "$TMP/pa/t.flow" "$TMP/pa/a.call" --trace >"$TMP/trace" 2>&1
if grep -q 'play hi (en, 2.5s)' "$TMP/trace"; then ok prompt-wav-length; else
	fail prompt-wav-length "$(grep 'play hi' "$TMP/trace")"; fi
# Output that cannot be written (a full disk) is an error, not exit 0 with
# the figures lost.
if [ -w /dev/full ]; then
	if "$TIERLINE" erlang --rate 200/h --aht 180s >/dev/full 2>"$TMP/err"; then st=0; else st=$?; fi
	if [ "$st" -eq 2 ] && grep -q "cannot write the output" "$TMP/err"; then ok full-stdout; else
		fail full-stdout "exit $st" "$(head -3 "$TMP/err")"; fi
	if "$TIERLINE" simulate tests/scenarios/flows/small.flow tests/scenarios/good/every-construct.scenario \
		--no-db --json >/dev/full 2>"$TMP/err"; then st=0; else st=$?; fi
	if [ "$st" -eq 2 ]; then ok full-stdout-simulate; else fail full-stdout-simulate "exit $st"; fi
fi
finish
