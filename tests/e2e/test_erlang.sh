# test_erlang.sh — `tierline erlang`: reference figures, JSON shape, staffing
# search, unstable load, and bad input (exit 2, clear messages).
. tests/e2e/lib.sh

# Erlang C reference: 100 calls / 30 min, AHT 180 s, 13 agents.
expect_status c13 0 "$TIERLINE" erlang --rate 100/30m --aht 180s --agents 13
expect_output c13-traffic '^traffic +10 Erlangs'
expect_output c13-pwait '^P\(wait\) +28\.53%'
expect_output c13-asa '^ASA +17\.12 s'
expect_output c13-sl '^service level +79\.56% answered within 20s'
expect_output c13-occ '^occupancy +76\.92%'
# Erlang B for the same traffic and agents (no queue): 0.0843 by the recursion
expect_output c13-erlang-b '^P\(block\) +8\.43% \(Erlang B'

expect_status c13-json 0 "$TIERLINE" erlang --rate 200/h --aht 3m --agents 13 --json
expect_output c13-json-exact '^\{"traffic": 10, "agents": 13, "p_wait": 0\.28527[0-9]*, "asa": 17\.116[0-9]*, "service_level": 0\.79559[0-9]*, "occupancy": 0\.7692307[0-9]*\}$'
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sorted(d)==sorted(["traffic","agents","p_wait","asa","service_level","occupancy"])' "$TMP/out"; then
		ok c13-json-parses; else fail c13-json-parses "$(cat "$TMP/out")"; fi
fi

# Erlang A reference: same load, 11 agents, patience 60 s.
expect_status a11 0 "$TIERLINE" erlang --rate 200/h --aht 180s --agents 11 --patience 60s
expect_output a11-pab '^P\(abandon\) +11\.18%'
expect_output a11-asa '^ASA +5\.23 s'
expect_output a11-sl '^service level +79\.65% of offered'
expect_status a11-json 0 "$TIERLINE" erlang --rate 200/h --aht 180s --agents 11 --patience 1m --json
expect_output a11-json '"asa": 5\.2294[0-9]*, "service_level": 0\.79652[0-9]*, "occupancy": [0-9.]+, "p_abandon": 0\.11178[0-9]*\}$'

# 600 Erlangs, 615 agents.
expect_status big 0 "$TIERLINE" erlang --rate 2/s --aht 5m --agents 615 --json
expect_output big-json '"traffic": 600, "agents": 615, "p_wait": 0\.43044[0-9]*, .*"service_level": 0\.84164[0-9]*'

# Staffing search: 80%/20s needs 14 agents (13 give 79.56%).
expect_status staff 0 "$TIERLINE" erlang --rate 200/h --aht 180s
expect_output staff-best 'fewest agents meeting it: 14'
expect_output staff-row '^> +14 '
expect_output staff-row-13 '^ +13 +28\.53%'
expect_status staff-json 0 "$TIERLINE" erlang --rate 200/h --aht 180s --json
expect_output staff-json-best '^\{"traffic": 10, "agents": 14, .*"table": \[\{"traffic": 10, "agents": 11, .*"agents": 17, [^]]*\}\]\}$'
expect_status staff-target 0 "$TIERLINE" erlang --rate 200/h --aht 180s --target 90%/30s --json
expect_output staff-target-n '"agents": 14, '
expect_status staff-abandon 0 "$TIERLINE" erlang --rate 200/h --aht 180s --patience 60s --target '80%/20s, abandon<5%'
expect_output staff-abandon-n 'fewest agents meeting it: 13'
expect_output staff-abandon-col 'P\(abandon\)'
expect_status staff-impossible 1 "$TIERLINE" erlang --rate 1000/s --aht 180s
expect_output staff-impossible-msg 'no count up to 100000 agents meets the target'
expect_status check-met 0 "$TIERLINE" erlang --rate 200/h --aht 180s --agents 14 --target 80%/20s
expect_output check-met-text 'target +80% answered within 20s: met'
expect_status check-not-met 1 "$TIERLINE" erlang --rate 200/h --aht 180s --agents 13 --target 80%/20s
expect_output check-not-met-text 'NOT met'

# Unstable: 9 agents for 10 Erlangs without abandonment.
expect_status unstable 0 "$TIERLINE" erlang --rate 200/h --aht 180s --agents 9
expect_output unstable-text 'unstable'
expect_status unstable-json 0 "$TIERLINE" erlang --rate 200/h --aht 180s --agents 10 --json
expect_output unstable-json '"p_wait": 1, "asa": null, "service_level": 0, "occupancy": 1\}$'
# ... but with patience the same staffing has an answer.
expect_status overload-patience 0 "$TIERLINE" erlang --rate 200/h --aht 180s --agents 9 --patience 60s --json
expect_output overload-patience-json '"asa": [0-9.]+, .*"p_abandon": 0\.[0-9]+\}$'

# Units: /m and /s rates, durations in ms, m, h.
expect_status units 0 "$TIERLINE" erlang --rate=3/m --aht=0.05h --agents=11 --sl 20000ms --json
expect_output units-json '"traffic": 9, "agents": 11'

# Bad input: exit 2 with a clear message.
expect_status bare-aht 2 "$TIERLINE" erlang --rate 200/h --aht 180
expect_output bare-aht-msg "^tierline erlang: --aht: bare number '180': add a unit \(s, m, h, ms\)$"
expect_status bare-rate 2 "$TIERLINE" erlang --rate 200 --aht 180s
expect_output bare-rate-msg "--rate: bare number '200': add a unit \(/h, /m, /s\)"
expect_status no-rate 2 "$TIERLINE" erlang --aht 180s
expect_output no-rate-msg '--rate is required'
expect_status no-aht 2 "$TIERLINE" erlang --rate 200/h
expect_status zero-rate 2 "$TIERLINE" erlang --rate 0/h --aht 3m
expect_status zero-aht 2 "$TIERLINE" erlang --rate 200/h --aht 0s
expect_status bad-unit 2 "$TIERLINE" erlang --rate 200/h --aht 3min
expect_status bad-rate-unit 2 "$TIERLINE" erlang --rate 200/hour --aht 3m
expect_status agents-zero 2 "$TIERLINE" erlang --rate 200/h --aht 3m --agents 0
expect_status agents-junk 2 "$TIERLINE" erlang --rate 200/h --aht 3m --agents 12x
expect_status agents-huge 2 "$TIERLINE" erlang --rate 200/h --aht 3m --agents 99999999999999999999
expect_status neg-patience 2 "$TIERLINE" erlang --rate 200/h --aht 3m --patience -1s
expect_status zero-patience 2 "$TIERLINE" erlang --rate 200/h --aht 3m --patience 0s
expect_status bad-target 2 "$TIERLINE" erlang --rate 200/h --aht 3m --target 120%/20s
expect_status bad-target2 2 "$TIERLINE" erlang --rate 200/h --aht 3m --target 80%
expect_status bad-target3 2 "$TIERLINE" erlang --rate 200/h --aht 3m --target 80%/20
expect_status abandon-needs-patience 2 "$TIERLINE" erlang --rate 200/h --aht 3m --target 'abandon<5%'
expect_output abandon-needs-patience-msg 'needs --patience'
expect_status missing-value 2 "$TIERLINE" erlang --rate 200/h --aht
expect_output missing-value-msg '--aht needs a value'
expect_status unknown-opt 2 "$TIERLINE" erlang --rate 200/h --aht 3m --frob
expect_output unknown-opt-msg "unknown option '--frob'"
expect_status stray-arg 2 "$TIERLINE" erlang --rate 200/h --aht 3m extra
expect_status nan-rate 2 "$TIERLINE" erlang --rate nan/h --aht 3m
expect_status huge-traffic 2 "$TIERLINE" erlang --rate 99999999/s --aht 1h
expect_status too-large-queue 2 "$TIERLINE" erlang --rate 500/s --aht 180s --patience 1000h --agents 80000
expect_output too-large-queue-msg 'too many to sum exactly'
expect_status help 0 "$TIERLINE" erlang --help
expect_output help-usage '^usage: tierline erlang --rate'
finish
