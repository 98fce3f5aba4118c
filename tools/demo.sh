#!/bin/sh
# demo.sh — what `make demo` runs: the main job on the shipped USCIS flow.
set -e
BIN=${1:-build/tierline}
echo "\$ tierline check flows/uscis.flow"
"$BIN" check flows/uscis.flow
