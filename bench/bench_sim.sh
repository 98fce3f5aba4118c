#!/bin/sh
# bench_sim.sh — how fast `tierline simulate` runs, in simulated calls per
# second of CPU (user + system of the simulate process, not wall time), with
# and without records, its peak memory, the database bytes per call, and the
# same M/M/c queue in SimPy for comparison.
#
#   sh bench/bench_sim.sh [BUILD]        (BUILD defaults to build; uses $BUILD/tierline)
#
# Sizes (environment, defaults in brackets):
#   SIM_MMC_CALLS      M/M/c calls without records            [2000000]
#   SIM_MMC_DB_CALLS   M/M/c calls with records (--db)        [300000]
#   SIM_USCIS_DAYS     USCIS weekdays without records         [6]
#   SIM_USCIS_DB_DAYS  USCIS weekdays with records            [2]
#   SIMPY_CALLS        SimPy M/M/c calls                      [200000]
#   SIM_BARE_CALLS     bare C event-heap loop M/M/c calls     [SIM_MMC_CALLS]
#   SIM_REPEAT         runs of each measurement; the least CPU is kept [3]
#   SIM_INSTR          1: also count instructions per call under callgrind
#                      (valgrind), which no neighbour on the host moves   [0]
#   SIM_INSTR_CALLS    M/M/c calls for the instruction counts             [100000]
#
# What runs:
#   (a) bench/flows/mmc.flow + mmc.scenario: a line straight into one queue,
#       Poisson 500/min, 100 agents, exponential 10.8 s handling (90 Erlangs),
#       sized with --calls N.
#   (b) flows/uscis.flow + flows/uscis-weekday.scenario: the whole IVR and
#       seven queues.  A `--calls N` run would go on past the scenario's day
#       into closed hours (not representative), so this runs whole days, one
#       process per day with seeds 1, 2, ... and sums calls and CPU (the
#       per-process start-up, i.e. parsing flow and scenario, is included; the
#       line "start-up" shows how much that is).
#   (c) bench/simpy_mmc.py, the same M/M/c model as (a), and the ratio
#       tierline / SimPy in calls per CPU second.
#   (d) bench/bare_mmc.c, the same M/M/c model as a bare C event-heap loop
#       (BUILD/bench/bare_mmc from `make bench`, else compiled here with
#       cc -O2), the yardstick issue 5's targets are set
#       against ("a bare C event-heap loop does about 10 million here"):
#       tierline's rates are also printed as a share of it, which the host's
#       speed of the day cancels out of (5 M of 10 M is 50%, 1 M is 10%).
# Each measurement is one child process timed with getrusage(RUSAGE_CHILDREN)
# from Python (CPU = ru_utime + ru_stime, peak memory = ru_maxrss), run
# SIM_REPEAT times; the run with the least CPU is kept.  The same run on a
# shared 2-core machine varied by up to 40% from one try to the next (a
# neighbour's build, a cold cache); the least CPU is the one least disturbed,
# and it is what a quiet machine shows every time.
#
# Targets (issues 5 and 6) are printed next to the figures: >= 5 M calls/s
# M/M/c and >= 1 M calls/s USCIS without records, records cost <= 3x,
# >= 500 k calls/s M/M/c with records.  This script measures and prints; it
# asserts nothing and exits 0 even when a target is missed (it exits 2 only
# on bad usage).  While `simulate` does not work it says so and goes on.
# The measure helper prints five numbers that `set -- $(measure ...)` splits.
# shellcheck disable=SC2046
set -u

BUILD=${1:-build}
TL=$BUILD/tierline
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MMC_CALLS=${SIM_MMC_CALLS:-2000000}
MMC_DB_CALLS=${SIM_MMC_DB_CALLS:-300000}
US_DAYS=${SIM_USCIS_DAYS:-6}
US_DB_DAYS=${SIM_USCIS_DB_DAYS:-2}
SIMPY_CALLS=${SIMPY_CALLS:-200000}
BARE_CALLS=${SIM_BARE_CALLS:-$MMC_CALLS}
REPEAT=${SIM_REPEAT:-3}
INSTR=${SIM_INSTR:-0}
INSTR_CALLS=${SIM_INSTR_CALLS:-100000}

# Debian's python3 sees python3-simpy; a pyenv/venv python3 on PATH may not.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

MMC_FLOW=$ROOT/bench/flows/mmc.flow
MMC_SCEN=$ROOT/bench/flows/mmc.scenario
US_FLOW=$ROOT/flows/uscis.flow
US_SCEN=$ROOT/flows/uscis-weekday.scenario

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tierline-bench-sim.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM

# measure OUT CMD...: runs CMD with stdout to OUT (stderr to OUT.err) and
# prints "CPU_S USER_S SYS_S MAXRSS_KB STATUS" of the run with the least CPU
# of MEASURE_REPEAT (default SIM_REPEAT) runs.  MEASURE_DB=FILE removes FILE
# (and its -wal/-shm) before each run, so every run writes a fresh database.
measure() {
	out=$1
	shift
	"$PY" -c '
import os, resource, subprocess, sys
out, reps, db = sys.argv[1], max(1, int(sys.argv[2])), sys.argv[3]
best = None
for _ in range(reps):
    if db != "-":
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.remove(f)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "wb") as f, open(out + ".err", "wb") as e:
        try:
            rc = subprocess.call(sys.argv[4:], stdout=f, stderr=e)
        except OSError as x:
            e.write(str(x).encode()); rc = 127
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    u = ru.ru_utime - before.ru_utime
    s = ru.ru_stime - before.ru_stime
    run = (u + s, u, s, ru.ru_maxrss, rc)
    if rc != 0:
        best = run
        break
    if best is None or run[0] < best[0]:
        best = run
print("%.6f %.6f %.6f %d %d" % best)
' "$out" "${MEASURE_REPEAT:-$REPEAT}" "${MEASURE_DB:--}" "$@"
}

# calls_of JSONFILE: the "calls" field of a simulate --json document.
calls_of() {
	"$PY" -c '
import json, sys
try:
    print(int(json.load(open(sys.argv[1]))["calls"]))
except Exception:
    print(0)
' "$1"
}

# fsize FILE: bytes of FILE plus any -wal/-shm left beside it.
fsize() {
	t=0
	for f in "$1" "$1-wal" "$1-shm"; do
		[ -f "$f" ] && t=$((t + $(wc -c <"$f")))
	done
	echo "$t"
}

# fmt: numbers for people.
calc() { "$PY" -c "import sys; print($1)"; }

echo "== bench_sim: tierline simulate ($TL), CPU time of the simulate process"

# Results for the summary, as KEY=VALUE lines.
RES=$TMP/results
: >"$RES"
put() { echo "$1=$2" >>"$RES"; }
get() { sed -n "s/^$1=//p" "$RES" | tail -n 1; }

# --- is simulate there? -----------------------------------------------------
SIM_OK=0
if [ ! -x "$TL" ]; then
	echo "simulate not available yet: $TL is not built"
else
	set -- $(MEASURE_REPEAT=1 measure "$TMP/probe.json" "$TL" simulate --no-db --json --calls 100 "$MMC_FLOW" "$MMC_SCEN")
	if [ "$5" -eq 0 ] && [ "$(calls_of "$TMP/probe.json")" -gt 0 ]; then
		SIM_OK=1
	else
		echo "simulate not available yet: '$TL simulate --no-db --json --calls 100 mmc.flow mmc.scenario' exited $5:"
		head -n 3 "$TMP/probe.json.err" | sed 's/^/    /'
	fi
fi

# run_mmc LABEL CALLS DBFLAG...: one M/M/c run; prints a line, stores results.
run_mmc() {
	label=$1 n=$2
	shift 2
	db=-
	[ "$1" = --db ] && db=$2
	set -- $(MEASURE_DB="$db" measure "$TMP/$label.json" "$TL" simulate "$@" --json --calls "$n" "$MMC_FLOW" "$MMC_SCEN")
	cpu=$1 rss=$4 rc=$5
	calls=$(calls_of "$TMP/$label.json")
	if [ "$rc" -ne 0 ] || [ "$calls" -le 0 ]; then
		echo "sim $label: simulate exited $rc after ${cpu}s CPU:"
		head -n 3 "$TMP/$label.json.err" | sed 's/^/    /'
		return 1
	fi
	rate=$(calc "round($calls / max($cpu, 1e-9))")
	put "${label}_calls" "$calls"
	put "${label}_cpu" "$cpu"
	put "${label}_rate" "$rate"
	put "${label}_rss" "$rss"
	printf 'sim %-10s %9d calls  %7.3f s CPU  %9d calls/s CPU  peak RSS %6.1f MB\n' \
		"$label" "$calls" "$cpu" "$rate" "$(calc "$rss / 1024")"
}

# run_days LABEL DAYS DB|-: whole USCIS weekdays, one process per seed.
run_days() {
	label=$1 days=$2 db=$3
	tcpu=0 tcalls=0 mrss=0 d=1
	while [ "$d" -le "$days" ]; do
		if [ "$db" = - ]; then
			set -- $(measure "$TMP/$label-$d.json" "$TL" simulate --no-db --json --seed "$d" "$US_FLOW" "$US_SCEN")
		else
			set -- $(MEASURE_DB="$db.$d" measure "$TMP/$label-$d.json" "$TL" simulate --db "$db.$d" --json --seed "$d" "$US_FLOW" "$US_SCEN")
		fi
		c=$(calls_of "$TMP/$label-$d.json")
		if [ "$5" -ne 0 ] || [ "$c" -le 0 ]; then
			echo "sim $label: simulate (seed $d) exited $5:"
			head -n 3 "$TMP/$label-$d.json.err" | sed 's/^/    /'
			return 1
		fi
		tcpu=$(calc "$tcpu + $1")
		tcalls=$((tcalls + c))
		[ "$4" -gt "$mrss" ] && mrss=$4
		d=$((d + 1))
	done
	rate=$(calc "round($tcalls / max($tcpu, 1e-9))")
	put "${label}_calls" "$tcalls"
	put "${label}_cpu" "$tcpu"
	put "${label}_rate" "$rate"
	put "${label}_rss" "$mrss"
	printf 'sim %-10s %9d calls  %7.3f s CPU  %9d calls/s CPU  peak RSS %6.1f MB  (%d day(s))\n' \
		"$label" "$tcalls" "$tcpu" "$rate" "$(calc "$mrss / 1024")" "$days"
}

if [ "$SIM_OK" -eq 1 ]; then
	# (a) M/M/c
	run_mmc mmc "$MMC_CALLS" --no-db
	if run_mmc mmc_db "$MMC_DB_CALLS" --db "$TMP/mmc.db"; then
		put mmc_db_bytes "$(fsize "$TMP/mmc.db")"
	fi
	# (b) USCIS weekday
	set -- $(measure "$TMP/check.out" "$TL" check "$US_FLOW" "$US_SCEN")
	printf 'sim start-up: check uscis.flow + weekday scenario %.1f ms CPU (parse and check, paid once per process)\n' \
		"$(calc "$1 * 1000")"
	run_days uscis "$US_DAYS" -
	# One database a day (each run of a day starts a fresh one); bytes are
	# their sum.
	if run_days uscis_db "$US_DB_DAYS" "$TMP/uscis.db"; then
		b=0 d=1
		while [ "$d" -le "$US_DB_DAYS" ]; do
			b=$((b + $(fsize "$TMP/uscis.db.$d")))
			d=$((d + 1))
		done
		put uscis_db_bytes "$b"
	fi
fi

# (c) SimPy
if "$PY" -c 'import simpy' 2>/dev/null || "$PY" -c 'import SimPy' 2>/dev/null; then
	set -- $(MEASURE_REPEAT=1 measure "$TMP/simpy.out" "$PY" "$ROOT/bench/simpy_mmc.py" "$SIMPY_CALLS")
	if [ "$5" -eq 0 ]; then
		cat "$TMP/simpy.out"
		put simpy_rate "$(sed -n 's/.* \([0-9][0-9]*\) calls\/s CPU.*/\1/p' "$TMP/simpy.out")"
		put simpy_rss "$4"
	else
		echo "simpy_mmc: exited $5:"
		tail -n 3 "$TMP/simpy.out.err" | sed 's/^/    /'
	fi
else
	echo "simpy_mmc: SimPy is not installed for $PY (Debian: python3-simpy)"
fi

# (d) The yardstick: the same M/M/c as a bare C event-heap loop, least CPU
# of SIM_REPEAT.  `make bench` has built it; run alone, this builds it from
# source (rng.h is its only tierline code).
BARE=$BUILD/bench/bare_mmc
if [ ! -x "$BARE" ]; then
	BARE=$TMP/bare_mmc
	${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -o "$BARE" "$ROOT/bench/bare_mmc.c" -lm \
		2>"$TMP/bare.cc.err" || BARE=
fi
if [ -n "$BARE" ]; then
	set -- $(measure "$TMP/bare.out" "$BARE" "$BARE_CALLS")
	if [ "$5" -eq 0 ]; then
		put bare_rate "$(calc "round($BARE_CALLS / max($1, 1e-9))")"
		printf 'bare_mmc: %s calls  %.3f s CPU  %s calls/s CPU (%s)\n' "$BARE_CALLS" "$1" \
			"$(get bare_rate)" "$(sed -n 's/.*\(ASA [^,]*, p_wait .*\)/\1/p' "$TMP/bare.out")"
	else
		echo "bare_mmc: exited $5"
	fi
else
	echo "bare_mmc: could not be compiled:"
	tail -n 3 "$TMP/bare.cc.err" | sed 's/^/    /'
fi

# (e) Instructions per call (SIM_INSTR=1).  CPU seconds on a shared host
# moved by 30% from one day to the next with no change of ours (SimPy with
# them); callgrind's count of executed instructions is the same on every run
# of the same binary and inputs, so it is what shows a change of a few
# percent.  It is not time: it ignores cache misses, branch mispredictions
# and the kernel's share (WAL writes), which the CPU figures above include.
# instr LABEL CMD...: runs CMD (a simulate --json) under callgrind; prints
# "INSTRUCTIONS CALLS".
instr() {
	label=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" \
		>"$TMP/$label.ijson" 2>"$TMP/$label.ierr"
	n=$(sed -n 's/.*Collected : *\([0-9][0-9]*\).*/\1/p' "$TMP/$label.ierr" | tail -n 1)
	echo "${n:-0} $(calls_of "$TMP/$label.ijson")"
}
if [ "$SIM_OK" -eq 1 ] && [ "$INSTR" = 1 ]; then
	if ! command -v valgrind >/dev/null 2>&1; then
		echo "instructions: valgrind is not installed (Debian: valgrind)"
	else
		for spec in "mmc --no-db --calls $INSTR_CALLS $MMC_FLOW $MMC_SCEN" \
		            "mmc_db --db $TMP/i.db --calls $INSTR_CALLS $MMC_FLOW $MMC_SCEN" \
		            "uscis --no-db --seed 1 $US_FLOW $US_SCEN" \
		            "uscis_db --db $TMP/u.db --seed 1 $US_FLOW $US_SCEN"; do
			# (paths from mktemp and the checkout: no blanks)
			# shellcheck disable=SC2086
			set -- $spec
			label=$1
			shift
			# shellcheck disable=SC2046
			set -- $(instr "$label" "$TL" simulate --json "$@")
			if [ "$1" -gt 0 ] && [ "$2" -gt 0 ]; then
				put "${label}_instr" "$(calc "round($1 / $2)")"
				printf 'instr %-9s %13d instructions  %8d calls  %7d instructions/call\n' \
					"$label" "$1" "$2" "$(get "${label}_instr")"
			else
				echo "instr $label: no count (valgrind failed):"
				tail -n 3 "$TMP/$label.ierr" | sed 's/^/    /'
			fi
		done
	fi
fi

# --- summary ----------------------------------------------------------------
echo
echo "== bench_sim summary (targets are reported, not asserted)"
verdict() { # VALUE OP TARGET
	if [ -z "$1" ]; then echo "not measured"; return; fi
	if "$PY" -c "import sys; sys.exit(0 if $1 $2 $3 else 1)"; then echo "meets target"; else echo "BELOW TARGET"; fi
}
r=$(get mmc_rate)
printf '  M/M/c, no records      %12s calls/s CPU   target >= 5000000   %s\n' "${r:--}" "$(verdict "$r" '>=' 5000000)"
r=$(get uscis_rate)
printf '  USCIS day, no records  %12s calls/s CPU   target >= 1000000   %s\n' "${r:--}" "$(verdict "$r" '>=' 1000000)"
r=$(get mmc_db_rate)
printf '  M/M/c, with records    %12s calls/s CPU   target >=  500000   %s\n' "${r:--}" "$(verdict "$r" '>=' 500000)"
a=$(get mmc_rate) b=$(get mmc_db_rate)
if [ -n "$a" ] && [ -n "$b" ]; then
	f=$(calc "round($a / $b, 2)")
	printf '  records cost, M/M/c    %12sx CPU per call  target <= 3x        %s\n' "$f" "$(verdict "$f" '<=' 3)"
fi
a=$(get uscis_rate) b=$(get uscis_db_rate)
if [ -n "$a" ] && [ -n "$b" ]; then
	f=$(calc "round($a / $b, 2)")
	printf '  records cost, USCIS    %12sx CPU per call  target <= 3x        %s\n' "$f" "$(verdict "$f" '<=' 3)"
	printf '  USCIS day, records     %12s calls/s CPU\n' "$b"
fi
for k in mmc uscis; do
	by=$(get ${k}_db_bytes) n=$(get ${k}_db_calls)
	[ -n "$by" ] && [ -n "$n" ] &&
		printf '  database, %-12s %12s bytes/call (%s bytes for %s calls)\n' "$k" "$(calc "round($by / $n, 1)")" "$by" "$n"
done
for k in mmc mmc_db uscis uscis_db; do
	m=$(get ${k}_rss)
	[ -n "$m" ] && printf '  peak RSS, %-12s %12s MB\n' "$k" "$(calc "round($m / 1024, 1)")"
done
for k in mmc uscis; do
	a=$(get ${k}_instr) b=$(get ${k}_db_instr)
	[ -n "$a" ] && [ -n "$b" ] &&
		printf '  instructions, %-8s %8s a call, %s with records: records cost %sx in instructions\n' \
			"$k" "$a" "$b" "$(calc "round($b / $a, 2)")"
done
a=$(get mmc_rate) b=$(get simpy_rate)
if [ -n "$a" ] && [ -n "$b" ]; then
	printf '  tierline / SimPy, M/M/c %11sx (%s vs %s calls/s CPU)\n' "$(calc "round($a / $b, 1)")" "$a" "$b"
fi
# Against the yardstick: the targets are 50% (5 M) and 10% (1 M) of the
# issue's 10 M; today's host runs the bare loop at whatever speed it has.
b=$(get bare_rate)
if [ -n "$b" ]; then
	printf '  bare C event-heap loop %12s calls/s CPU   (the issue'"'"'s yardstick: ~10 M on its machine)\n' "$b"
	a=$(get mmc_rate)
	[ -n "$a" ] && f=$(calc "round(100 * $a / $b, 1)") &&
		printf '  M/M/c / bare loop      %12s%%              target >= 50%%       %s\n' "$f" "$(verdict "$f" '>=' 50)"
	a=$(get uscis_rate)
	[ -n "$a" ] && f=$(calc "round(100 * $a / $b, 1)") &&
		printf '  USCIS day / bare loop  %12s%%              target >= 10%%       %s\n' "$f" "$(verdict "$f" '>=' 10)"
fi
[ "$SIM_OK" -eq 1 ] || echo "  simulate not available yet: tierline figures skipped"
exit 0
