#!/bin/sh
# Run the test suite of one build flavour and print a closing tally.
#   tests/run.sh BUILD [unit|e2e]
# Unit tests are cmocka binaries in BUILD/tests; end-to-end tests are
# tests/e2e/test_*.sh, each printing "ok NAME" / "FAIL NAME" lines and
# exiting non-zero when anything failed.  They find the binary in $TIERLINE.
BUILD=${1:-build}
WHAT=${2:-all}
TIERLINE=$(cd "$(dirname "$BUILD/tierline")" && pwd)/tierline
export TIERLINE
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
passed=0; failed=0; failures=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		if "$t" >"$log" 2>&1; then st=0; else st=1; fi
		p=$(grep -c '^\[       OK \]' "$log")
		f=$(grep -c '^\[  FAILED  \] [a-z_0-9]*$' "$log")
		[ "$st" -ne 0 ] && [ "$f" -eq 0 ] && f=1
		passed=$((passed + p)); failed=$((failed + f))
		if [ "$st" -ne 0 ]; then
			failures="$failures $name"
			echo "--- $name failed:"; tail -40 "$log"
		else
			echo "unit $name: $p passed"
		fi
	done
fi

if [ "$WHAT" = all ] || [ "$WHAT" = e2e ]; then
	for t in "$ROOT"/tests/e2e/test_*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		if (cd "$ROOT" && sh "$t") >"$log" 2>&1; then st=0; else st=1; fi
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^FAIL ' "$log")
		[ "$st" -ne 0 ] && [ "$f" -eq 0 ] && f=1
		passed=$((passed + p)); failed=$((failed + f))
		if [ "$st" -ne 0 ]; then
			failures="$failures $name"
			echo "--- $name failed:"; grep -A8 '^FAIL ' "$log" | head -80
			[ "$f" -eq 1 ] && tail -20 "$log"
		else
			echo "e2e $name: $p passed"
		fi
	done
fi

echo "$BUILD: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$failures" ]
