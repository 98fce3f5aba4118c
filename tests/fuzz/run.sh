#!/bin/sh
# Fuzz a parser with libFuzzer for a bounded time.
#   sh tests/fuzz/run.sh [SECONDS] [flow|scenario|script|audio]
#   make fuzz FUZZ_SECONDS=N                      (all four, N seconds each)
# Builds build/fuzz/fuzz_TARGET with clang (fuzzer + ASan + UBSan) from the
# sources it needs, seeds a corpus from the test and shipped files, runs,
# and exits non-zero when libFuzzer found a crash, leak or timeout
# (the reproducer is left in build/fuzz/).  `flow` feeds flow_load_string;
# `scenario` feeds scen_load_string against one fixed flow; `script` feeds
# script_parse (call scripts), script_check and the write/parse round trip;
# `audio` feeds dtmf_detect_file (via a memfd) and dtmf_detect_buf.
set -eu
SECS=${1:-60}
TARGET=${2:-flow}
case $TARGET in flow|scenario|script|audio) ;; *) echo "fuzz: target is flow, scenario, script or audio" >&2; exit 2 ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/fuzz
CORPUS=$ROOT/tests/fuzz/corpus-$TARGET   # grows across runs; not committed
SEEDS=$OUT/seeds-$TARGET
mkdir -p "$OUT" "$CORPUS" "$SEEDS"

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang is needed (make deps)" >&2; exit 2; }
SRC="$ROOT/src/util/arena.c $ROOT/src/util/buf.c $ROOT/src/util/diag.c $ROOT/src/util/localtime.c"
SRC="$SRC $(ls "$ROOT"/src/flow/*.c | tr '\n' ' ') $ROOT/src/audio/audio.c $ROOT/src/audio/audiolib.c"
LIBS="$(pkg-config --libs sndfile)"
if [ "$TARGET" = audio ]; then
	SRC="$ROOT/src/audio/dtmf.c $ROOT/src/audio/dtmf_resample.c $ROOT/src/audio/audiolib.c"
	LIBS="$(pkg-config --libs sndfile spandsp)"
fi
[ "$TARGET" = scenario ] && SRC="$SRC $ROOT/src/sim/scenario.c $ROOT/src/sim/dist.c $ROOT/src/sim/rng.c"
[ "$TARGET" = script ] && SRC="$SRC $ROOT/src/engine/script.c $ROOT/src/engine/call.c"
# shellcheck disable=SC2086
clang -g -O1 -std=c11 -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$ROOT/include" $(pkg-config --cflags sndfile spandsp) \
	"$ROOT/tests/fuzz/fuzz_$TARGET.c" $SRC \
	$LIBS -lm -o "$OUT/fuzz_$TARGET"

# Seeds: every file of the kind we have (good, bad, shipped), each its own.
i=0
if [ "$TARGET" = flow ]; then
	set -- "$ROOT"/tests/flows/*/*.flow "$ROOT"/tests/flows/*/inc/*.flow \
	       "$ROOT"/flows/*.flow "$ROOT"/flows/*/*.flow
elif [ "$TARGET" = scenario ]; then
	set -- "$ROOT"/tests/scenarios/*/*.scenario "$ROOT"/flows/*.scenario \
	       "$ROOT"/bench/flows/*.scenario
elif [ "$TARGET" = script ]; then
	set -- $(find "$ROOT/tests" "$ROOT/flows" -name '*.call')
else
	# Short WAVs of a DTMF pair at the rates, widths and channel counts the
	# reader meets (8/16/44.1 kHz, 8/16-bit, mono/stereo).
	python3 - "$SEEDS" <<'PY'
import math, struct, sys, wave
for rate, width, ch in ((8000, 2, 1), (16000, 2, 1), (44100, 2, 2), (8000, 1, 1), (11025, 2, 1)):
    w = wave.open("%s/gen-%d-%d-%d.wav" % (sys.argv[1], rate, width, ch), "wb")
    w.setnchannels(ch); w.setsampwidth(width); w.setframerate(rate)
    fr = bytearray()
    for i in range(rate // 10):
        v = 0.3 * (math.sin(2 * math.pi * 697 * i / rate) + math.sin(2 * math.pi * 1209 * i / rate))
        one = struct.pack("<h", int(v * 32767)) if width == 2 else bytes([int(128 + v * 127)])
        fr += one * ch
    w.writeframes(bytes(fr)); w.close()
PY
	set --
fi
for f in "$@"; do
	[ -f "$f" ] || continue
	i=$((i + 1))
	cp "$f" "$SEEDS/seed$i.$TARGET"
done

cd "$OUT"
status=0
"$OUT/fuzz_$TARGET" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	$([ -f "$ROOT/tests/fuzz/$TARGET.dict" ] && echo "-dict=$ROOT/tests/fuzz/$TARGET.dict") -artifact_prefix="$OUT/" -print_final_stats=1 \
	"$CORPUS" "$SEEDS" 2>"$OUT/fuzz-$TARGET.log" || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$OUT/fuzz-$TARGET.log" || true
if [ "$status" -ne 0 ]; then
	echo "fuzz: libFuzzer stopped with status $status; see $OUT/fuzz-$TARGET.log" >&2
	grep -E 'ERROR|SUMMARY|Test unit written' "$OUT/fuzz-$TARGET.log" | head -20 >&2
	exit 1
fi
echo "fuzz ($TARGET): no crashes in ${SECS}s"
