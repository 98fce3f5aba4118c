#!/bin/sh
# bench_check.sh — time `tierline check` on a generated flow; prints the median.
#   sh bench/bench_check.sh [TIERLINE] [NODES] [RUNS]
# Defaults: build/tierline, 10000 nodes, 7 runs.  Target: well under 1 s.
set -eu
TIERLINE=${1:-build/tierline}
NODES=${2:-10000}
RUNS=${3:-7}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
python3 "$(dirname "$0")/flowgen.py" "$NODES" "$DIR"
"$TIERLINE" check --strict "$DIR/gen.flow" >"$DIR/out" 2>&1 || {
	echo "bench_check: the generated flow does not check clean:" >&2
	head -20 "$DIR/out" >&2
	exit 1
}
# Wall time of each run, and CPU time (user + sys) where /usr/bin/time
# exists: on a busy machine wall time mostly measures the neighbours.
times=""
cpus=""
i=0
while [ "$i" -lt "$RUNS" ]; do
	s=$(date +%s%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S' -o "$DIR/cpu" "$TIERLINE" check "$DIR/gen.flow" >/dev/null 2>&1
		cpus="$cpus $(awk '{ printf "%d", ($1 + $2) * 1000 }' "$DIR/cpu")"
	else
		"$TIERLINE" check "$DIR/gen.flow" >/dev/null 2>&1
	fi
	e=$(date +%s%N)
	times="$times $(( (e - s) / 1000 ))"
	i=$((i + 1))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m=$(median $times)
printf 'bench_check: %s nodes, %s bytes, %s runs: median wall %d.%03d ms' \
	"$(sed -n 's/.*: ok (.* lines*, \([0-9]*\) nodes.*/\1/p' "$DIR/out")" \
	"$(wc -c <"$DIR/gen.flow" | tr -d ' ')" "$RUNS" $((m / 1000)) $((m % 1000))
[ -n "$cpus" ] && printf ', median CPU %d ms' "$(median $cpus)"
printf ' (wall us:%s)\n' "$times"
