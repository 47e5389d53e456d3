#!/usr/bin/env bash
# The test command (README): installs what is missing, runs every Bazel test (unit, golden, fixture,
# determinism, hostile-input), then the real-kernel tests under qemu, and prints "N passed, N failed".
#   ELFHASH_SKIP_KERNEL=1   skip the qemu/real-kernel tests (they download Debian's kernel packages)
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
rc=0
bazel test -c opt //... || rc=1
kernel_logs=()
if [ "${ELFHASH_SKIP_KERNEL:-0}" != 1 ]; then
  bazel build -c opt //tools:elfhash || rc=1
  for t in tools/tests/kernel_*_test.sh; do
    [ -f "$t" ] || continue
    log="$logdir/$(basename "$t" .sh).log"
    echo "== $t"
    ELFHASH="$PWD/bazel-bin/tools/elfhash" bash "$t" 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    kernel_logs+=("$log")
  done
fi
python3 tools/count_tests.py "$(bazel info -c opt bazel-testlogs)" "${kernel_logs[@]}" || rc=1
exit $rc
