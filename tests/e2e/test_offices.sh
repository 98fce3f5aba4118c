# test_offices.sh — service requests land at the right office for every
# receipt prefix declared in flows/uscis.flow (read from the flow itself, so
# a new office is covered the day it is added), an unknown prefix goes to the
# default office, and the longest prefix wins.
. tests/e2e/lib.sh

script() { # PREFIX OFFICE
	cat <<X
call main
1 press 1
+1s press 0
+2s press 1
+2s press ${1}1234567890#
+30s answer
+6m request
expect var receipt "${1}1234567890"
expect request office $2
expect visit case_sr
expect outcome request-filed
X
}

# "office NAME ... { receipt "322"; receipt "672" }" -> "322 NAME" lines.
sed -n 's/^ *office \([a-z_]*\) .*{\(.*\)}.*/\1 \2/p' flows/uscis/offices.flow |
while read -r office rest; do
	echo "$rest" | grep -o 'receipt "[0-9]*"' | sed "s/receipt \"\\([0-9]*\\)\"/\\1 $office/"
done > "$TMP/prefixes"
n=$(wc -l < "$TMP/prefixes")
if [ "$n" -ge 7 ]; then ok prefixes-found; else fail prefixes-found "only $n prefixes in offices.flow"; fi
default=$(sed -n 's/^ *default \([a-z_]*\).*/\1/p' flows/uscis/offices.flow)
# Unknown prefixes (online filing IOE = 463, and nonsense) go to the default.
printf '463 %s\n999 %s\n' "$default" "$default" >> "$TMP/prefixes"

while read -r prefix office; do
	script "$prefix" "$office" > "$TMP/r$prefix.call"
	expect_status "office-$prefix-$office" 0 "$TIERLINE" replay flows/uscis.flow "$TMP/r$prefix.call"
done < "$TMP/prefixes"

# A wrong expectation must fail (the test can fail).
script 322 csc > "$TMP/wrong.call"
expect_status office-wrong-fails 1 "$TIERLINE" replay flows/uscis.flow "$TMP/wrong.call"
expect_output office-wrong-msg 'expected request office csc, got office vsc'

# Longest prefix wins (a flow of its own).
cat > "$TMP/lp.flow" <<'X'
flow lp { languages en }
line main "1" { start ask }
input ask { prompt ask; digits 4..6; store receipt; next -> sr }
request sr { type "t"; office by receipt; due 15d; next -> hangup }
offices {
  office short "Short" { receipt "32" }
  office long "Long" { receipt "322" }
  office other "Other" { receipt "9" }
  default other
}
X
printf 'call main\n0.5 press 3221#\nexpect request office long\n' > "$TMP/lp1.call"
printf 'call main\n0.5 press 3241#\nexpect request office short\n' > "$TMP/lp2.call"
printf 'call main\n0.5 press 5555#\nexpect request office other\n' > "$TMP/lp3.call"
expect_status longest-prefix 0 "$TIERLINE" replay "$TMP/lp.flow" "$TMP/lp1.call" "$TMP/lp2.call" "$TMP/lp3.call"
finish
