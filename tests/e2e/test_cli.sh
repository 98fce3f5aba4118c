# test_cli.sh — the command line: help, version, unknown commands.
. tests/e2e/lib.sh

expect_status version 0 "$TIERLINE" --version
expect_output version-text '^tierline [0-9]+\.[0-9]+\.[0-9]+$'
expect_status no-args 2 "$TIERLINE"
expect_status unknown-command 2 "$TIERLINE" frobnicate
expect_output unknown-command-msg "unknown command 'frobnicate'"
expect_status help 0 "$TIERLINE" --help
for c in check graph call replay simulate staff erlang serve report dtmf; do
	expect_status "help-$c" 0 "$TIERLINE" "$c" --help
	expect_output "help-$c-usage" "usage: tierline $c"
done
finish
