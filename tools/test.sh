#!/usr/bin/env bash
# The test command (README): installs what is missing, runs every Bazel test (unit, golden, fixture,
# determinism, hostile-input), then the real-kernel tests under qemu, a replay of the fuzzing corpus (no mutation) and the
# whole Bazel suite again under ASan+UBSan, and prints "N passed, N failed".
#   ELFHASH_SKIP_KERNEL=1   skip the qemu/real-kernel tests (they download Debian's kernel packages)
#   ELFHASH_SKIP_HARDENING=1  skip the fuzz corpus replay and the ASan+UBSan pass (docs/threat-model.md)
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
if [ "${ELFHASH_SKIP_HARDENING:-0}" != 1 ]; then
  log="$logdir/fuzz_replay_test.log"
  echo "== tools/tests/fuzz_replay_test.sh"
  bash tools/tests/fuzz_replay_test.sh 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
  kernel_logs+=("$log")
  # --config=asan builds in the fastbuild output tree, so bazel-bin keeps the -c opt binary. Its test
  # cases are counted once more, as their own line.
  log="$logdir/asan.log"
  echo "== bazel test --config=asan //..."
  bazel test --config=asan //... || rc=1
  python3 tools/count_tests.py "$(bazel info --config=asan bazel-testlogs)" | sed 's/, [0-9]* skipped//' | tee "$log"
  kernel_logs+=("$log")
fi
python3 tools/count_tests.py "$(bazel info -c opt bazel-testlogs)" "${kernel_logs[@]}" || rc=1
exit $rc
