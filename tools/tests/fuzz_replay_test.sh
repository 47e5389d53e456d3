#!/usr/bin/env bash
# CI's fuzzing step: tools/fuzz.sh --replay builds every libFuzzer target (clang-14,
# -fsanitize=fuzzer,address,undefined) and executes each seed (generated fixtures, hostile corpus) and
# each checked-in input under testdata/fuzz/TARGET/ (every past finding, the minimised campaign
# corpus) exactly once: no mutation, so the result is the same on every run and every machine.
# Random fuzzing is a separate command (tools/fuzz.sh SECONDS, tools/fuzz.sh --campaign).
# One PASS/FAIL line per target, then "N passed, N failed".
#   FUZZ_OUT  work dir (default /tmp/elfhash-fuzz): objects persist, so later builds are incremental.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash "$here/../fuzz.sh" --replay > "$log" 2>&1
status=$?
targets=$(sed -n 's/^all_targets=(\(.*\))$/\1/p' "$here/../fuzz.sh")
replayed() {  # replayed TARGET: fuzz.sh's summary line says ok after executing at least one input
  local line
  line=$(grep -E "^$1: " "$log" | tail -1)
  echo "$line"
  [[ $line =~ ^$1:\ ok,\ ([0-9]+)\ runs && ${BASH_REMATCH[1]} -gt 0 ]]
}
for t in $targets; do check "$t: replays its seeds and testdata/fuzz/$t without a finding" replayed "$t"; done
[ "$status" = 0 ] || { echo "fuzz.sh exited $status:"; tail -20 "$log"; }
check "fuzz.sh --replay exit status 0" test "$status" = 0
finish
