# test_figures_sql.sh — every figure `simulate` prints is recomputed by SQL over
# the stored records (`report --json`), for the shipped scenarios (the storm
# day brings abandonment, max_wait timeouts and redials) and replications.
. tests/e2e/lib.sh

for scen in uscis-weekday uscis-storm uscis-monday-peak; do
	db="$TMP/$scen.db"
	expect_status "$scen-simulate" 0 "$TIERLINE" simulate flows/uscis.flow "flows/$scen.scenario" --db "$db" --json
	cp "$TMP/out" "$TMP/sim.json"
	expect_status "$scen-report" 0 "$TIERLINE" report "$db" --json
	cp "$TMP/out" "$TMP/rep.json"
	if python3 tests/e2e/figures_compare.py "$TMP/sim.json" "$TMP/rep.json" > "$TMP/cmp" 2>&1; then
		ok "$scen-figures-equal"
	else
		fail "$scen-figures-equal" "$(tail -15 "$TMP/cmp")"
	fi
	if python3 -c "import json; d=json.load(open('$TMP/sim.json')); assert d['calls'] > 10000" 2>/dev/null; then
		ok "$scen-calls"; else fail "$scen-calls" "too few calls"; fi
	# The percentiles are there to compare: every interval has them (null
	# exactly when nothing was answered in it), and the total has numbers.
	if python3 -c "
import json; d = json.load(open('$TMP/sim.json'))
assert d['total']['wait_p90'] is not None and d['total']['wait_p95'] is not None
assert d['total']['wait_p90'] <= d['total']['wait_p95']
n = 0
for x in d['intervals']:
    assert (x['wait_p90'] is None) == (x['answered'] == 0), x
    assert (x['wait_p95'] is None) == (x['answered'] == 0), x
    n += x['wait_p90'] is not None
assert n > 50, n
" 2>"$TMP/py"; then ok "$scen-interval-percentiles"; else fail "$scen-interval-percentiles" "$(tail -3 "$TMP/py")"; fi
	cp "$TMP/sim.json" "$TMP/sim-$scen.json"
	cp "$TMP/rep.json" "$TMP/rep-$scen.json"
done
# Calls still waiting when the run stops (nobody on duty after 09:00, no
# patience) are stored as "unfinished", so their legs are in both.
cat > "$TMP/st.flow" <<'X'
flow st { languages en }
line main "1" { start q }
queue q { tier 1 }
X
cat > "$TMP/st.scenario" <<'X'
scenario s {
  start 2026-11-30 08:00
  length 2h
  seed 4
  arrivals main { rate 30/h }
  agents q { staff 08:00 1, 09:00 0; handle exp(20m) }
}
X
expect_status unfinished-simulate 0 "$TIERLINE" simulate "$TMP/st.flow" "$TMP/st.scenario" --db "$TMP/st.db" --json
cp "$TMP/out" "$TMP/sim.json"
expect_status unfinished-report 0 "$TIERLINE" report "$TMP/st.db" --json
cp "$TMP/out" "$TMP/rep.json"
if python3 tests/e2e/figures_compare.py "$TMP/sim.json" "$TMP/rep.json" > "$TMP/cmp" 2>&1 &&
   python3 -c "import json; d=json.load(open('$TMP/sim.json')); assert d['unfinished'] > 20" 2>/dev/null; then
	ok unfinished-figures-equal
else
	fail unfinished-figures-equal "$(tail -15 "$TMP/cmp")"
fi

# queue_log epochs are UTC: a New York flow's 08:00 local is 13:00 UTC in
# winter (EST) and 12:00 UTC in summer (EDT).
for season in winter:2026-11-30:13 summer:2026-07-06:12; do
	name=${season%%:*}; rest=${season#*:}; day=${rest%%:*}; utch=${rest#*:}
	cat > "$TMP/ny.flow" <<'X'
flow ny { timezone "America/New_York"; languages en }
line main "1" { start q }
queue q { tier 1 }
X
	cat > "$TMP/ny.scenario" <<X
scenario s {
  start $day 08:00
  length 1h
  seed 2
  arrivals main { rate 60/h }
  agents q { staff 5; handle exp(1m) }
}
X
	rm -f "$TMP/ny.db"
	"$TIERLINE" simulate "$TMP/ny.flow" "$TMP/ny.scenario" --db "$TMP/ny.db" --json > /dev/null 2>&1
	expect_status "queue-log-$name" 0 "$TIERLINE" report "$TMP/ny.db" --queue-log "$TMP/ql.txt"
	if python3 -c "
import datetime
lo = datetime.datetime.fromisoformat('${day}T${utch}:00:00+00:00').timestamp()
ev = [int(l.split('|')[0]) for l in open('$TMP/ql.txt') if '|ENTERQUEUE|' in l]
assert ev and lo <= min(ev) < lo + 3600 and max(ev) < lo + 3600, (lo, min(ev), max(ev))
" 2>"$TMP/py"; then ok "queue-log-utc-$name"; else fail "queue-log-utc-$name" "$(cat "$TMP/py")"; fi
done

# The comparison itself can fail: a doctored figure is caught.
python3 -c "
import json; d=json.load(open('$TMP/sim.json')); q=next(iter(d['queues'].values())); q['answered'] += 1
json.dump(d, open('$TMP/bad.json', 'w'))"
if python3 tests/e2e/figures_compare.py "$TMP/bad.json" "$TMP/rep.json" > /dev/null 2>&1; then
	fail compare-detects-difference "a changed figure went unnoticed"; else ok compare-detects-difference; fi
# ... and so is a doctored percentile of one interval, or of all queues.
for what in interval total; do
	python3 -c "
import json; d = json.load(open('$TMP/sim-uscis-weekday.json'))
if '$what' == 'interval':
    x = next(x for x in d['intervals'] if x['answered'] > 20 and x['wait_p90'])
    x['wait_p90'] += 1.0
else:
    d['total']['wait_p95'] += 1.0
json.dump(d, open('$TMP/bad.json', 'w'))"
	if python3 tests/e2e/figures_compare.py "$TMP/bad.json" "$TMP/rep-uscis-weekday.json" > /dev/null 2>&1; then
		fail "compare-detects-$what-percentile" "a changed percentile went unnoticed"
	else
		ok "compare-detects-$what-percentile"
	fi
done
finish
