#!/usr/bin/env bash
# CI smoke run of the libFuzzer targets (tools/fuzz.sh: clang-14, -fsanitize=fuzzer,address,undefined,
# seeds from the generated fixtures and the hostile corpus): every target must build and survive
# FUZZ_SMOKE_SECONDS (default 10) of fuzzing with no crash, leak, hang or sanitizer report.
# One PASS/FAIL line per target, then "N passed, N failed". Longer runs: tools/fuzz.sh 600.
#   FUZZ_OUT  work dir (default /tmp/elfhash-fuzz): objects and corpora persist, so later runs are
#             incremental and start from what earlier runs found.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
secs=${FUZZ_SMOKE_SECONDS:-10}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash "$here/../fuzz.sh" "$secs" > "$log" 2>&1
status=$?
targets=$(sed -n 's/^all_targets=(\(.*\))$/\1/p' "$here/../fuzz.sh")
ran() {  # ran TARGET: fuzz.sh's summary line says ok after a non-zero number of runs
  local line
  line=$(grep -E "^$1: " "$log" | tail -1)
  echo "$line"
  [[ $line =~ ^$1:\ ok,\ ([0-9]+)\ runs && ${BASH_REMATCH[1]} -gt 0 ]]
}
for t in $targets; do check "$t: ${secs}s without a finding" ran "$t"; done
[ "$status" = 0 ] || { echo "fuzz.sh exited $status:"; tail -20 "$log"; }
check "fuzz.sh exit status 0" test "$status" = 0
finish
