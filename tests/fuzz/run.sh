#!/bin/sh
# Fuzz the flow parser with libFuzzer for a bounded time.
#   sh tests/fuzz/run.sh [SECONDS]        (make fuzz FUZZ_SECONDS=N)
# Builds build/fuzz/fuzz_flow with clang (fuzzer + ASan + UBSan) from the
# sources it needs, seeds a corpus from the test and shipped flows, runs,
# and exits non-zero when libFuzzer found a crash, leak or timeout
# (the reproducer is left in build/fuzz/).
set -eu
SECS=${1:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/fuzz
CORPUS=$ROOT/tests/fuzz/corpus-flow      # grows across runs; not committed
SEEDS=$OUT/seeds
mkdir -p "$OUT" "$CORPUS" "$SEEDS"

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang is needed (make deps)" >&2; exit 2; }
clang -g -O1 -std=c11 -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$ROOT/include" $(pkg-config --cflags sndfile) \
	"$ROOT/tests/fuzz/fuzz_flow.c" \
	"$ROOT/src/util/arena.c" "$ROOT/src/util/buf.c" "$ROOT/src/util/diag.c" \
	"$ROOT/src/util/localtime.c" \
	"$ROOT"/src/flow/*.c "$ROOT/src/audio/audio.c" \
	$(pkg-config --libs sndfile) -lm -o "$OUT/fuzz_flow"

# Seeds: every flow we have (good, bad, shipped), each its own file.
i=0
for f in "$ROOT"/tests/flows/*/*.flow "$ROOT"/tests/flows/*/inc/*.flow \
         "$ROOT"/flows/*.flow "$ROOT"/flows/*/*.flow; do
	[ -f "$f" ] || continue
	i=$((i + 1))
	cp "$f" "$SEEDS/seed$i.flow"
done

cd "$OUT"
status=0
"$OUT/fuzz_flow" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-dict="$ROOT/tests/fuzz/flow.dict" -artifact_prefix="$OUT/" -print_final_stats=1 \
	"$CORPUS" "$SEEDS" 2>"$OUT/fuzz.log" || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$OUT/fuzz.log" || true
if [ "$status" -ne 0 ]; then
	echo "fuzz: libFuzzer stopped with status $status; see $OUT/fuzz.log" >&2
	grep -E 'ERROR|SUMMARY|Test unit written' "$OUT/fuzz.log" | head -20 >&2
	exit 1
fi
echo "fuzz: no crashes in ${SECS}s"
