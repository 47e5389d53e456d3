#!/usr/bin/env bash
# The test command (README): installs what is missing, runs every Bazel test (unit, golden, fixture,
# determinism, hostile-input), then the real-kernel tests under qemu, the fault-injection test, a
# replay of the fuzzing corpus (no mutation) and the whole Bazel suite again under ASan+UBSan, and
# prints "N passed, N failed".
#   ELFHASH_SKIP_KERNEL=1   skip the qemu/real-kernel tests (they download Debian's kernel packages)
#                           and the Bazel end-to-end test (it builds a kernel inside Bazel)
#   ELFHASH_SKIP_BAZEL_E2E=1  skip only the Bazel end-to-end test (tools/tests/bazel_e2e_test.sh)
#   ELFHASH_SKIP_HARDENING=1  skip the fuzz corpus replay and the ASan+UBSan pass (docs/threat-model.md)
#   ELFHASH_SKIP_GNU_SUITE=1  skip binutils 2.40's objcopy.exp run against elfhash
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
  # A separate Bazel workspace consuming elfhash, a kernel built by Bazel, an HTTP remote cache
  # (docs/bazel.md); its output base and cache store live in ~/.cache/elfhash/bazel-e2e.
  if [ "${ELFHASH_SKIP_BAZEL_E2E:-0}" != 1 ]; then
    log="$logdir/bazel_e2e_test.log"
    echo "== tools/tests/bazel_e2e_test.sh"
    ELFHASH="$PWD/bazel-bin/tools/elfhash" bash tools/tests/bazel_e2e_test.sh 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    kernel_logs+=("$log")
  fi
fi
# GNU's own objcopy.exp against elfhash's links, as a ratchet (tools/tests/gnu_objcopy_exp.expected).
# Fresh: ~10 min to build binutils 2.40 once into ~/.cache/elfhash; cached: ~15 s.
if [ "${ELFHASH_SKIP_GNU_SUITE:-0}" != 1 ]; then
  bazel build -c opt //tools:elfhash || rc=1
  log="$logdir/gnu_objcopy_exp_test.log"
  echo "== tools/tests/gnu_objcopy_exp_test.sh"
  ELFHASH="$PWD/bazel-bin/tools/elfhash" bash tools/tests/gnu_objcopy_exp_test.sh 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
  kernel_logs+=("$log")
fi
# Distro packaging recipes (dh_strip, find-debuginfo, makepkg) on a sample of the machine's ELF files.
log="$logdir/distro_strip_parity.log"
echo "== tools/tests/distro_strip_parity.sh --sample 40"
bazel build -c opt //tools:elfhash || rc=1
ELFHASH="$PWD/bazel-bin/tools/elfhash" bash tools/tests/distro_strip_parity.sh --sample 40 /usr/bin /usr/lib/x86_64-linux-gnu 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
kernel_logs+=("$log")
# The same recipes on Debian's own userland of six other architectures (tools/tests/fetch-userland.sh).
log="$logdir/distro_strip_parity_arches.log"
echo "== tools/tests/distro_strip_parity.sh --sample 60 --arch arm64 armhf ppc64el s390x i386 mips64el"
ELFHASH="$PWD/bazel-bin/tools/elfhash" bash tools/tests/distro_strip_parity.sh --sample 60 --arch arm64 --arch armhf \
  --arch ppc64el --arch s390x --arch i386 --arch mips64el 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
kernel_logs+=("$log")
# Fault injection (signals, SIGKILL loops, ENOSPC/EROFS/EACCES, changing inputs): outside Bazel's
# sandbox, as root (it mounts tmpfs and drops to uid 65534); about one minute.
bazel build -c opt //tools:elfhash //testdata:fixtures || rc=1
log="$logdir/faults_test.log"
echo "== tools/tests/faults_test.sh"
ELFHASH="$PWD/bazel-bin/tools/elfhash" FIXTURES="$PWD/bazel-bin/testdata" bash tools/tests/faults_test.sh 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
kernel_logs+=("$log")
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
