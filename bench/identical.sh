#!/bin/sh
# identical.sh — prove a speed change left every simulator output as it was.
#
#   sh bench/identical.sh BUILD record DIR   write reference outputs into DIR
#   sh bench/identical.sh BUILD check DIR    compare BUILD's outputs with DIR
#
# The outputs: `simulate --json` and the human table for the M/M/c bench
# model, the USCIS weekday (three seeds), Monday peak and storm days,
# replications, staff, and the stored records of a run (every calls row and
# interval, dumped as SQL text), so a change in event order, random draws,
# figures or records shows as a differing file.  Exit 0 when identical (or
# recorded), 1 when any output differs, 2 on bad usage.
set -u
[ $# -eq 3 ] || { echo "usage: sh bench/identical.sh BUILD record|check DIR" >&2; exit 2; }
TL=$1/tierline
MODE=$2
DIR=$3
case $MODE in record|check) ;; *) echo "identical.sh: record or check" >&2; exit 2 ;; esac
[ -x "$TL" ] || { echo "identical.sh: $TL not built" >&2; exit 2; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/tierline-ident.XXXXXX") || exit 2
trap 'rm -rf "$OUT"' EXIT INT TERM
MF=bench/flows/mmc.flow
MS=bench/flows/mmc.scenario
UF=flows/uscis.flow

"$TL" simulate --no-db --json --calls 300000 "$MF" "$MS" >"$OUT/mmc.json"
"$TL" simulate --no-db --calls 50000 "$MF" "$MS" >"$OUT/mmc.txt"
for s in 1 2 3; do
	"$TL" simulate --no-db --json --seed $s "$UF" flows/uscis-weekday.scenario >"$OUT/weekday-$s.json"
done
"$TL" simulate --no-db flows/uscis.flow flows/uscis-weekday.scenario >"$OUT/weekday.txt"
"$TL" simulate --no-db --json "$UF" flows/uscis-monday-peak.scenario >"$OUT/monday.json"
"$TL" simulate --no-db --json "$UF" flows/uscis-storm.scenario >"$OUT/storm.json"
"$TL" simulate --no-db --json --replications 3 "$UF" flows/uscis-weekday.scenario >"$OUT/repl.json"
for s in 1 2; do
	"$TL" simulate --no-db --json --seed $s tests/scenarios/flows/small.flow \
		tests/scenarios/good/every-construct.scenario >"$OUT/every-$s.json" 2>&1
done
"$TL" staff --json --target 'tier1 80%/20s, abandon<5%' "$UF" flows/uscis-weekday.scenario >"$OUT/staff.json" 2>&1
rm -f "$OUT/db" "$OUT/db-wal" "$OUT/db-shm"
"$TL" simulate --db "$OUT/db" --json --seed 4 "$UF" flows/uscis-weekday.scenario >"$OUT/db-run.json"
"$TL" simulate --db "$OUT/db" --json --calls 20000 "$MF" "$MS" >"$OUT/db-mmc.json"
sqlite3 "$OUT/db" "SELECT * FROM calls ORDER BY id; SELECT * FROM service_requests ORDER BY id;
  SELECT * FROM intervals ORDER BY run, queue, start;" >"$OUT/db.sql" 2>&1 ||
	"$TL" report "$OUT/db" --csv "$OUT/csv" >"$OUT/db.sql" 2>&1
rm -f "$OUT/db" "$OUT/db-wal" "$OUT/db-shm"

if [ "$MODE" = record ]; then
	mkdir -p "$DIR" && cp "$OUT"/* "$DIR"/ && echo "recorded $(ls "$OUT" | wc -l) outputs in $DIR"
	exit 0
fi
bad=0
for f in "$DIR"/*; do
	b=$(basename "$f")
	if ! cmp -s "$f" "$OUT/$b"; then
		echo "DIFFERS: $b"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "identical: $(ls "$DIR" | wc -l) outputs"
exit $bad
