# test_report.sh — `tierline report`: tables, JSON, compare, HTML and the
# exports, on databases written by the store's test helper (synthetic
# records, so this does not depend on the simulator).
. tests/e2e/lib.sh

HELPER=$(dirname "$TIERLINE")/tests/test_store_kill
if [ ! -x "$HELPER" ]; then
	echo "ok report-skipped # SKIP $HELPER not built (TESTS=test_store*)"
	finish
fi
DB=$TMP/r.db
"$HELPER" --make "$DB" 3000 1 >/dev/null
"$HELPER" --make "$DB" 2000 2 --incomplete >/dev/null

expect_status latest 0 "$TIERLINE" report "$DB"
expect_output latest-is-2 '^run 2: simulate'
expect_output latest-incomplete 'warning: run 2, the latest, is incomplete'
expect_output table-head 'queue +offered +answered +abandoned'
expect_output ivr-line '^IVR: [0-9]+ counted calls, containment'

expect_status json 0 "$TIERLINE" report "$DB" --run 1 --json
if python3 - "$TMP/out" "$DB" <<'PY'
import json, sqlite3, sys
j = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
assert j["run"] == 1 and j["complete"] is True
# figures reproduced by plain SQL over the views
off = db.execute("SELECT count(*) FROM queue_legs WHERE run=1 AND counted AND queue='tier1'").fetchone()[0]
assert j["queues"]["tier1"]["offered"] == off, (off, j["queues"]["tier1"])
a, b, w = db.execute("""SELECT sum(answered IS NOT NULL), sum(answered IS NULL AND result='abandoned'),
    sum(answered IS NOT NULL AND answered-entered <= 20000) FROM queue_legs
    WHERE run=1 AND counted AND queue='tier1'""").fetchone()
assert abs(j["queues"]["tier1"]["service_level"] - w / (a + b)) < 1e-9
calls = db.execute("SELECT count(*) FROM calls WHERE run=1 AND counted").fetchone()[0]
assert j["calls"] == calls
ss = db.execute("SELECT count(*) FROM calls WHERE run=1 AND counted AND outcome='self-service'").fetchone()[0]
assert abs(j["ivr"]["containment"] - ss / calls) < 1e-9
assert j["intervals"][0]["start"].startswith("2026-11-30T")
PY
then ok json-matches-sql; else fail json-matches-sql; fi

expect_status compare 0 "$TIERLINE" report "$DB" --compare 1 2
expect_output compare-head 'B - A'
expect_output compare-sl 'service level'
expect_status compare-json 0 "$TIERLINE" report "$DB" --compare 1 2 --json
if python3 -c "import json,sys; j=json.load(open('$TMP/out')); assert j['a']['run']==1 and j['b']['run']==2"; then
	ok compare-json-shape; else fail compare-json-shape; fi

expect_status html 0 "$TIERLINE" report "$DB" --run 1 --html "$TMP/r.html" --target 85%
if grep -q '<svg class="sankey"' "$TMP/r.html" && [ "$(grep -c '<svg class="chart"' "$TMP/r.html")" -ge 5 ] &&
   grep -q 'Wait per interval, seconds: ASA, p90, p95' "$TMP/r.html" &&
   ! grep -Eq 'https?://|src=|<link|<script' "$TMP/r.html"; then
	ok html-self-contained; else fail html-self-contained; fi
if python3 - "$TMP/r.html" <<'PY'
import re, sys, xml.dom.minidom as m
s = open(sys.argv[1]).read()
for svg in re.findall(r"<svg.*?</svg>", s, re.S):
    m.parseString(svg)
PY
then ok html-svg-well-formed; else fail html-svg-well-formed; fi

expect_status exports 0 "$TIERLINE" report "$DB" --run 1 --queue-log "$TMP/q.log" --cdr "$TMP/cdr.csv" --csv "$TMP/csv"
bad=$(grep -Evc '^[0-9]+\|[0-9]+\.[0-9]+\|[a-z0-9_]+\|(NONE|Agent/[0-9]+)\|(ENTERQUEUE\|\|[a-z]+\|[0-9]+|CONNECT\|[0-9]+\|[0-9.]+\|0|COMPLETE(CALLER|AGENT)\|[0-9]+\|[0-9]+\|[0-9]+|BLINDTRANSFER\|[a-z0-9_-]+\|tierline\|[0-9]+\|[0-9]+\|[0-9]+|ABANDON\|[0-9]+\|[0-9]+\|[0-9]+|EXITWITHTIMEOUT\|[0-9]+\|[0-9]+\|[0-9]+|EXITWITHKEY\|[0-9*#]\|[0-9]+\|[0-9]+\|[0-9]+)$' "$TMP/q.log")
legs=$(python3 -c "import sqlite3; print(sqlite3.connect('$DB').execute('SELECT count(*) FROM queue_legs WHERE run=1').fetchone()[0])")
enter=$(grep -c '|ENTERQUEUE|' "$TMP/q.log")
if [ "$bad" -eq 0 ] && [ "$enter" -eq "$legs" ] && grep -q '|BLINDTRANSFER|' "$TMP/q.log"; then
	ok queue-log-format; else fail queue-log-format "bad lines: $bad, enter $enter, legs $legs"; fi
if sort -c -s -t'|' -k1,1n "$TMP/q.log" 2>/dev/null; then ok queue-log-sorted; else fail queue-log-sorted; fi
if python3 - "$TMP/cdr.csv" "$DB" <<'PY'
import csv, sqlite3, sys, re
rows = list(csv.reader(open(sys.argv[1], newline="")))
n = sqlite3.connect(sys.argv[2]).execute("SELECT count(*) FROM calls WHERE run=1").fetchone()[0]
assert len(rows) == n, (len(rows), n)
for r in rows:
    assert len(r) == 18, r
    assert r[14] in ("ANSWERED", "NO ANSWER"), r
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", r[9]), r
    assert (r[10] == "") == (r[14] == "NO ANSWER"), r
    assert int(r[12]) >= int(r[13]) >= 0
PY
then ok cdr-format; else fail cdr-format; fi
if python3 - "$TMP/csv" "$DB" <<'PY'
import csv, os, sqlite3, sys
d = sys.argv[1]
db = sqlite3.connect(sys.argv[2])
for t in ("runs", "calls", "queue_legs", "service_requests", "intervals", "visits", "call_keys"):
    rows = list(csv.reader(open(os.path.join(d, t + ".csv"), newline="")))
    want = db.execute(f"SELECT count(*) FROM {t} WHERE {'id' if t == 'runs' else 'run'} = 1").fetchone()[0]
    assert len(rows) - 1 == want, (t, len(rows) - 1, want)
    assert all(len(r) == len(rows[0]) for r in rows), t
PY
then ok csv-tables; else fail csv-tables; fi

# bad input: exit 2 with a clear message
expect_status no-such-run 2 "$TIERLINE" report "$DB" --run 99
expect_output no-such-run-msg 'no run 99 in this database'
expect_status compare-missing 2 "$TIERLINE" report "$DB" --compare 1 42
expect_status missing-db 2 "$TIERLINE" report "$TMP/nope.db"
expect_output missing-db-msg 'nope.db: no such database file'
[ ! -e "$TMP/nope.db" ] && ok missing-db-not-created || fail missing-db-not-created
expect_status no-args 2 "$TIERLINE" report
expect_status bad-option 2 "$TIERLINE" report "$DB" --frobnicate
expect_status bad-run-id 2 "$TIERLINE" report "$DB" --run abc
expect_status bad-target 2 "$TIERLINE" report "$DB" --html "$TMP/x.html" --target 180%
: >"$TMP/empty.db"
expect_status empty-file 2 "$TIERLINE" report "$TMP/empty.db"
expect_output empty-file-msg 'not a tierline database'
python3 -c "import sqlite3; sqlite3.connect('$TMP/fresh.db').execute('PRAGMA user_version')"
expect_status csv-into-file 2 "$TIERLINE" report "$DB" --csv "$TMP/q.log"
expect_output csv-into-file-msg 'not a directory'
expect_status html-bad-dir 2 "$TIERLINE" report "$DB" --html "$TMP/no/such/dir/x.html"
expect_output html-bad-dir-msg 'cannot write'
expect_status help 0 "$TIERLINE" report --help
expect_output help-usage '--queue-log FILE'

# A queue nobody reached (2,000 calls of a USCIS day: none to adoptions)
# has no service level, wait or p_wait: "-" in the text and the HTML, not
# 0.0%, which reads as a failure.  Its staffed, idle agents are 0% busy.
expect_status empty-queue-run 0 "$TIERLINE" simulate flows/uscis.flow flows/uscis-weekday.scenario \
	--calls 2000 --db "$TMP/e.db" --report "$TMP/e.html"
expect_status empty-queue-report 0 "$TIERLINE" report "$TMP/e.db"
if grep -Eq '^adoptions_queue +0 +0 +0 +0 +- +- +- +- +- +- +- +0\.0%$' "$TMP/out"; then
	ok empty-queue-text-dashes; else fail empty-queue-text-dashes "$(grep '^adoptions_queue' "$TMP/out")"; fi
if grep -q '<tr><td>adoptions_queue</td><td>0</td><td>0</td><td>0</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td>0.0%</td></tr>' "$TMP/e.html"; then
	ok empty-queue-html-dashes; else fail empty-queue-html-dashes "$(grep -o '<tr><td>adoptions_queue</td>[^<]*<td>[^/]*' "$TMP/e.html" | head -1)"; fi
# An interval nobody staffed (adoptions before it opens) has no occupancy:
# "-", as in simulate's interval table, not 0.0% busy.
if grep -Eq '^adoptions_queue +2026-12-02T07:00 +0 +0 +0 +- +- +- +- +0 +-$' "$TMP/out"; then
	ok unstaffed-interval-dash; else
	fail unstaffed-interval-dash "$(grep '^adoptions_queue  *2026-12-02T07:00' "$TMP/out")"; fi
# ... and --compare shows "-" for it, with no difference (not 0.0% -> x%).
expect_status empty-queue-run2 0 "$TIERLINE" simulate flows/uscis.flow flows/uscis-weekday.scenario \
	--calls 2000 --seed 2 --db "$TMP/e.db"
expect_status empty-queue-compare 0 "$TIERLINE" report "$TMP/e.db" --compare 1 2
if sed -n '/^adoptions_queue$/,/^  occupancy/p' "$TMP/out" | grep -Eq '^  service level +- +- +-$' &&
   sed -n '/^adoptions_queue$/,/^  occupancy/p' "$TMP/out" | grep -Eq '^  offered +0 +0 +\+0$'; then
	ok empty-queue-compare-dashes; else
	fail empty-queue-compare-dashes "$(sed -n '/^adoptions_queue$/,/^  occupancy/p' "$TMP/out" | head -6)"; fi
finish
