#!/bin/sh
# run.sh — `make bench`: every benchmark, sized for a small (2-core) machine,
# then a summary.  Benchmarks measure and print; none asserts a time, and this
# script exits 0 unless it was called wrongly (exit 2), whatever the figures.
#
#   sh bench/run.sh BUILD            (make bench passes $(BUILD))
#
# 1. every $BUILD/bench/bench_* binary (bench/*.c), each with a size that
#    takes a few CPU seconds at most (table below; an unknown one runs with
#    its defaults under a time limit);
# 2. bench/bench_check.sh (flow checker at scale), when present;
# 3. bench/bench_sim.sh (simulate calls per CPU second, SimPy comparison).
# The whole output is also written to $BUILD/bench/results.txt.
#
# Sizes can be changed without editing this file, e.g.
#   BENCH_ENGINE_ARGS=40 BENCH_ACD_ARGS="2000000 300" sh bench/run.sh build
# and bench_sim.sh takes SIM_MMC_CALLS etc. (see that file).  What each
# benchmark measures and the figures on the reference machine are in
# docs/performance.md.
set -u

if [ $# -ne 1 ]; then
	echo "usage: sh bench/run.sh BUILD" >&2
	exit 2
fi
BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
LIMIT=${BENCH_TIME_LIMIT:-120}   # seconds of wall time per benchmark, then killed

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tierline-bench.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$BUILD/bench"
LOG=$BUILD/bench/results.txt

# args_for NAME: the arguments that keep NAME to a few CPU seconds here.
args_for() {
	case $1 in
	bench_engine) echo "${BENCH_ENGINE_ARGS:-10}" ;;           # million events
	bench_acd)    echo "${BENCH_ACD_ARGS:-500000 300}" ;;       # cycles, agents
	bench_dtmf)   echo "${BENCH_DTMF_ARGS:-120}" ;;             # seconds of audio
	bench_store)  echo "${BENCH_STORE_ARGS:-200000} $TMP/bench_store.db" ;;  # calls, db
	bench_rng)    echo "${BENCH_RNG_ARGS:-5}" ;;                # millions per row
	*)            echo "" ;;
	esac
}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# run NAME CMD...: run one benchmark under the time limit, remember how it went.
run() {
	name=$1
	shift
	echo
	echo "== $name: $*"
	t0=$(now)
	if command -v timeout >/dev/null 2>&1; then
		timeout "$LIMIT" "$@" >"$TMP/$name.out" 2>&1
	else
		"$@" >"$TMP/$name.out" 2>&1
	fi
	rc=$?
	cat "$TMP/$name.out"
	t1=$(now)
	case $rc in
	0)   st="ok" ;;
	124) st="killed after ${LIMIT}s" ;;
	*)   st="exit $rc" ;;
	esac
	printf '%-16s %-22s %6ss wall\n' "$name" "$st" "$(secs "$t0" "$t1")" >>"$TMP/summary"
}

main() {
	echo "tierline benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc 2>/dev/null || echo '?') CPUs"
	echo "build: $BUILD    (figures are per CPU second unless they say wall)"
	: >"$TMP/summary"
	T0=$(now)
	found=0
	for b in "$BUILD"/bench/bench_*; do
		if [ ! -f "$b" ] || [ ! -x "$b" ]; then continue; fi
		found=1
		name=$(basename "$b")
		# shellcheck disable=SC2046
		run "$name" "$b" $(args_for "$name")
	done
	[ "$found" -eq 1 ] || echo "no benchmark binaries in $BUILD/bench (make BUILD=$BUILD bench builds them)"
	if [ -f "$HERE/bench_check.sh" ]; then
		run bench_check.sh sh "$HERE/bench_check.sh" "$BUILD/tierline"
	else
		echo
		echo "== bench_check.sh: not there yet, skipped"
	fi
	run bench_sim.sh sh "$HERE/bench_sim.sh" "$BUILD"
	rm -f "$TMP/bench_store.db" "$TMP/bench_store.db-wal"

	echo
	echo "== summary ($(secs "$T0" "$(now)") s wall in all; figures above, targets reported not asserted)"
	cat "$TMP/summary"
	if [ -f "$TMP/bench_sim.sh.out" ]; then
		echo
		sed -n '/^== bench_sim summary/,$p' "$TMP/bench_sim.sh.out"
	fi
	echo "full output: $LOG"
}

main 2>&1 | tee "$LOG"
exit 0
