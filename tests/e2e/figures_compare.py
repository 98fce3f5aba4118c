# figures_compare.py SIM.json REPORT.json — every figure `simulate --json`
# printed must equal the one `report --json` recomputes by SQL from the
# stored records (per queue, per interval, IVR outcomes, requests, transfers).
# The percentiles (wait_p90/p95 per queue, per interval and of all queues
# pooled) are nearest ranks over the waits of answered legs, and SQL's
# row_number() window gives them exactly, so they are held to the same
# tolerance as the rest (the JSON's 6 significant digits).
import json, sys, math
s = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
bad = 0; n = 0
def near(a, b):
    if a is None or b is None: return a == b or (a in (None, 0) and b in (None, 0))
    return abs(a - b) <= 1e-5 * max(1.0, abs(a), abs(b))
for q, sq in s['queues'].items():
    rq = r['queues'].get(q)
    if rq is None:
        print('queue missing in report:', q); bad += 1; continue
    for k in ['offered','answered','abandoned','timed_out','answered_within','service_level','asa',
              'wait_mean','wait_p90','wait_p95','p_wait','abandon_rate','aht','occupancy']:
        n += 1
        if not near(sq.get(k), rq.get(k)):
            print(f'{q}.{k}: simulate {sq.get(k)} report {rq.get(k)}'); bad += 1
if 'total' in s and 'total' in r:
    for k in ['offered','answered','abandoned','timed_out','answered_within','service_level','asa',
              'wait_mean','wait_p90','wait_p95','p_wait','abandon_rate','aht','occupancy']:
        n += 1
        if not near(s['total'].get(k), r['total'].get(k)):
            print(f"total.{k}: simulate {s['total'].get(k)} report {r['total'].get(k)}"); bad += 1
n += 1
if s['calls'] != r['calls']: print('calls', s['calls'], r['calls']); bad += 1
ri = r['ivr']
for k in ['containment']:
    n += 1
    if not near(s['ivr'][k], ri[k]): print('ivr', k, s['ivr'][k], ri[k]); bad += 1
for grp in ['outcomes','requests']:
    for k, v in s['ivr'][grp].items():
        n += 1
        if ri[grp].get(k) != v: print(grp, k, v, ri[grp].get(k)); bad += 1
iv = {(x['queue'], x['start']): x for x in r['intervals']}
for x in s['intervals']:
    y = iv.get((x['queue'], x['start']))
    if y is None:
        if x['offered']: print('interval missing in report', x['queue'], x['start']); bad += 1
        continue
    for k in ['offered','answered','abandoned','timed_out','answered_within','service_level','asa','wait_mean',
              'wait_p90','wait_p95','p_wait','abandon_rate','aht','agents','occupancy']:
        n += 1
        if not near(x.get(k), y.get(k)):
            print(f"{x['queue']} {x['start']} {k}: simulate {x.get(k)} report {y.get(k)}"); bad += 1
for k, v in s['ivr']['transfers'].items():
    n += 1
    if ri['transfers'].get(k) != v: print('transfers', k, v, ri['transfers'].get(k)); bad += 1
print(f'{n} figures compared, {bad} differ')
sys.exit(1 if bad else 0)
