# test_store_durability.sh — bad databases at the command line: each a clear
# message and exit 2, never a crash or a hang; and a writer killed with
# SIGKILL leaves a readable database whose interrupted run is incomplete.
. tests/e2e/lib.sh

HELPER=$(dirname "$TIERLINE")/tests/test_store_kill
if [ ! -x "$HELPER" ]; then
	echo "ok durability-skipped # SKIP $HELPER not built (TESTS=test_store*)"
	finish
fi
DB=$TMP/d.db
"$HELPER" --make "$DB" 2000 1 >/dev/null

# a path that is a directory
mkdir "$TMP/adir"
expect_status directory 2 "$TIERLINE" report "$TMP/adir"
expect_output directory-msg 'adir: is a directory'

# garbage bytes
head -c 20000 /dev/urandom >"$TMP/garbage.db"
expect_status garbage 2 "$TIERLINE" report "$TMP/garbage.db"
expect_output garbage-msg 'not a SQLite database'

# a database from a newer tierline
cp "$DB" "$TMP/newer.db"
sqlite3 "$TMP/newer.db" "PRAGMA user_version = 7" 2>/dev/null ||
	python3 -c "import sqlite3; c=sqlite3.connect('$TMP/newer.db'); c.execute('PRAGMA user_version = 7'); c.commit()"
expect_status newer 2 "$TIERLINE" report "$TMP/newer.db"
expect_output newer-msg 'newer tierline \(schema version 7; this binary knows up to [0-9]+\)'

# someone else's SQLite file
python3 -c "import sqlite3; c=sqlite3.connect('$TMP/other.db'); c.execute('CREATE TABLE t(x)'); c.commit()"
expect_status foreign-db 2 "$TIERLINE" report "$TMP/other.db"
expect_output foreign-db-msg 'not a tierline database'

# locked: another connection holds an exclusive lock; fail fast, no hang
cp "$DB" "$TMP/locked.db"
python3 - "$TMP/locked.db" "$TMP/locked.ready" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO runs(mode, started) VALUES ('x', 'y')")
open(sys.argv[2], "w").close()
time.sleep(8)
PY
LOCKER=$!
i=0; while [ ! -e "$TMP/locked.ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
start=$(date +%s)
expect_status locked 2 timeout 20 "$TIERLINE" report "$TMP/locked.db"
took=$(( $(date +%s) - start ))
expect_output locked-msg 'locked by another connection \(gave up after [0-9]+ ms\)'
[ "$took" -le 5 ] && ok locked-fast || fail locked-fast "took ${took}s"
kill "$LOCKER" 2>/dev/null; wait "$LOCKER" 2>/dev/null

# read-only file in a read-only folder, as an ordinary user: reading works,
# writing an export there fails cleanly
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	RO=$TMP/ro; mkdir "$RO"; cp "$DB" "$RO/ro.db"
	chmod 755 "$TMP"; chmod 444 "$RO/ro.db"; chmod 555 "$RO"
	AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
	expect_status readonly-report 0 $AS_NOBODY "$TIERLINE" report "$RO/ro.db"
	expect_output readonly-report-out '^run 1: simulate'
	expect_status readonly-export 2 $AS_NOBODY "$TIERLINE" report "$RO/ro.db" --csv "$RO/csv"
	expect_output readonly-export-msg 'cannot create .*ro/csv: Permission denied'
	expect_status readonly-writer 2 $AS_NOBODY "$HELPER" --make "$RO/ro.db" 10
	expect_output readonly-writer-msg 'read-only'
	chmod 755 "$RO"
else
	echo "ok readonly # SKIP needs root and setpriv"
fi

# full disk: a tiny tmpfs
if [ "$(id -u)" -eq 0 ] && mkdir "$TMP/full" && mount -t tmpfs -o size=256k tmpfs "$TMP/full" 2>/dev/null; then
	expect_status full-writer 2 "$HELPER" --make "$TMP/full/f.db" 50000
	expect_output full-writer-msg 'full'
	expect_status full-export 2 "$TIERLINE" report "$DB" --csv "$TMP/full/csv"
	expect_output full-export-msg 'No space left on device'
	umount "$TMP/full"
else
	echo "ok full-disk # SKIP needs root and tmpfs"
fi

# SIGKILL in the middle of a long run
"$HELPER" --make "$DB" 5000000 3 >/dev/null 2>&1 &
W=$!
sleep 1.5
kill -9 "$W" 2>/dev/null; wait "$W" 2>/dev/null
ic=$(python3 -c "import sqlite3; print(sqlite3.connect('$DB').execute('PRAGMA integrity_check').fetchone()[0])")
[ "$ic" = ok ] && ok killed-integrity || fail killed-integrity "$ic"
expect_status killed-report 0 "$TIERLINE" report "$DB" --run 2
expect_output killed-incomplete 'INCOMPLETE'
expect_status killed-earlier-run 0 "$TIERLINE" report "$DB" --run 1 --json
expect_output killed-earlier-complete '"complete": true'
finish
