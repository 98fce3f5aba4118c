#!/bin/sh
# demo.sh — what `make demo` runs: the main job on the shipped USCIS flow and
# weekday scenario.  Checks both, simulates the day into demo/tierline.db and
# writes demo/uscis-weekday.html (open it in a browser; it needs no network).
set -e
BIN=${1:-build/tierline}
OUT=${DEMO_DIR:-demo}
mkdir -p "$OUT"
run() {
	echo "\$ tierline $*"
	"$BIN" "$@"
	echo
}
run check flows/uscis.flow flows/uscis-weekday.scenario
run erlang --rate 2400/h --aht 420s --sl 20s --target 80%/20s
rm -f "$OUT/tierline.db" "$OUT/tierline.db-wal" "$OUT/tierline.db-shm"
run simulate flows/uscis.flow flows/uscis-weekday.scenario --db "$OUT/tierline.db" --report "$OUT/uscis-weekday.html"
echo "The day is stored in $OUT/tierline.db; the report is $OUT/uscis-weekday.html."
echo "Try: $BIN report $OUT/tierline.db    $BIN graph flows/uscis.flow -o $OUT/uscis.svg"
