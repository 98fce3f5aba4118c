# lib.sh — helpers for end-to-end tests.  Source it; $TIERLINE is the binary.
: "${TIERLINE:=$ROOT/build/tierline}"
E2E_FAILED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok $1"; }
fail() { echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; E2E_FAILED=1; }

# expect_status NAME WANT CMD...: run CMD, compare its exit status.
expect_status() {
	name=$1; want=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$name"; else
		fail "$name" "exit $got, want $want" "$(head -5 "$TMP/err")"; fi
}

# expect_output NAME PATTERN: last command's stdout+stderr matches grep -E PATTERN.
expect_output() {
	if cat "$TMP/out" "$TMP/err" | grep -Eq -- "$2"; then ok "$1"; else
		fail "$1" "no match for: $2" "$(head -5 "$TMP/out")" "$(head -5 "$TMP/err")"; fi
}

finish() { exit "$E2E_FAILED"; }
