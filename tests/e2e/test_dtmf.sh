# test_dtmf.sh — `tierline dtmf gen` then `tierline dtmf detect`, and bad input.
. tests/e2e/lib.sh

expect_status gen 0 "$TIERLINE" dtmf gen '0123456789*#ABCD' "$TMP/all.wav" --lead 500ms
expect_status detect 0 "$TIERLINE" dtmf detect "$TMP/all.wav"
keys=$(awk '{printf "%s", $2}' "$TMP/out")
if [ "$keys" = '0123456789*#ABCD' ]; then ok detect-keys; else fail detect-keys "got '$keys'"; fi
expect_output detect-first-line '^0\.50[0-9] 0 0\.(099|100|101)$'
expect_output detect-last-line '^3\.50[0-9] D 0\.(099|100|101)$'

expect_status gen-options 0 "$TIERLINE" dtmf gen '55,5' "$TMP/opt.wav" --tone 60ms --gap 50ms --level -20 --lead 1s --noise -50 --seed 7
expect_status detect-json 0 "$TIERLINE" dtmf detect "$TMP/opt.wav" --json
expect_output detect-json-shape '^\[\{"key": "5", "start": 1\.0[0-9]*, "duration": 0\.0[56][0-9]*\}, \{"key": "5", "start": 1\.1[01][0-9]*'
n=$(grep -o '"key"' "$TMP/out" | wc -l)
if [ "$n" -eq 3 ]; then ok detect-json-count; else fail detect-json-count "got $n keys"; fi

# silence gives no keys and exit 0
expect_status gen-silence 0 "$TIERLINE" dtmf gen ',,' "$TMP/quiet.wav"
expect_status detect-silence 0 "$TIERLINE" dtmf detect "$TMP/quiet.wav"
if [ ! -s "$TMP/out" ]; then ok detect-silence-empty; else fail detect-silence-empty "$(head -3 "$TMP/out")"; fi

# bad usage and unreadable input: exit 2 with a message
printf 'not audio at all\n' >"$TMP/text.wav"
: >"$TMP/empty.wav"
head -c 30 "$TMP/all.wav" >"$TMP/trunc.wav"
expect_status no-subcommand 2 "$TIERLINE" dtmf
expect_status unknown-subcommand 2 "$TIERLINE" dtmf frob
expect_status detect-no-file 2 "$TIERLINE" dtmf detect
expect_status detect-missing 2 "$TIERLINE" dtmf detect "$TMP/nope.wav"
expect_status detect-text 2 "$TIERLINE" dtmf detect "$TMP/text.wav"
expect_status detect-empty 2 "$TIERLINE" dtmf detect "$TMP/empty.wav"
expect_status detect-truncated 2 "$TIERLINE" dtmf detect "$TMP/trunc.wav"
expect_status detect-dir 2 "$TIERLINE" dtmf detect "$TMP"
expect_output detect-dir-msg 'is a directory'
expect_status detect-bad-option 2 "$TIERLINE" dtmf detect "$TMP/all.wav" --frob
expect_status gen-bad-key 2 "$TIERLINE" dtmf gen '12x' "$TMP/x.wav"
expect_output gen-bad-key-msg "'x' is not a DTMF key"
expect_status gen-no-file 2 "$TIERLINE" dtmf gen '123'
expect_status gen-bad-tone 2 "$TIERLINE" dtmf gen 1 "$TMP/x.wav" --tone abc
expect_status gen-bad-level 2 "$TIERLINE" dtmf gen 1 "$TMP/x.wav" --level loud
expect_status gen-level-range 2 "$TIERLINE" dtmf gen 1 "$TMP/x.wav" --level 10
expect_status gen-missing-value 2 "$TIERLINE" dtmf gen 1 "$TMP/x.wav" --gap
expect_status gen-unwritable 2 "$TIERLINE" dtmf gen 1 "$TMP/no/such/dir.wav"
finish
