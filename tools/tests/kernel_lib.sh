# Shared harness of the real-kernel tests (tools/tests/kernel_*_test.sh, run outside Bazel by
# tools/test.sh). Source it after setting KTEST_NAME. `check DESCRIPTION RESULT [DETAIL]` counts one
# assertion (RESULT 0 = pass); the caller prints "$passed passed, $failed failed" last.
passed=0 failed=0
# A setup error is one failed assertion, so that a runner reading the closing line counts it.
setup_fail() { echo "$KTEST_NAME: $*" >&2; echo "$passed passed, $((failed + 1)) failed"; exit 2; }
check() {  # check DESCRIPTION CONDITION-RESULT(0=pass) [detail]
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "PASS: $1"
  else failed=$((failed + 1)); echo "FAIL: $1${3:+: $3}"; fi
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }
# boot_summary BOOT_STDOUT [LOG]: one line for a terminal instead of boot.sh's per-module lines
# (ELFHASH-INSMOD / ELFHASH-KMSG), which stay in the file.
boot_summary() {
  local ok bad kmsg
  ok=$(grep -c '^ELFHASH-INSMOD [^ ]* ok' "$1" || true)
  bad=$(grep -c '^ELFHASH-INSMOD [^ ]* fail' "$1" || true)
  kmsg=$(grep -c '^ELFHASH-KMSG' "$1" || true)
  echo "boot: $ok modules loaded, $bad refused, $kmsg kernel messages$(grep -qx ELFHASH-DONE "$1" || echo ', did not finish') (per-module lines: ${2:-$1})"
}
# The one message Debian 6.1 logs for a Merkle trailer (kernel/module_signature.c, id_type != 2).
SEALED_KMSG='module: not signed with expected PKCS#7 message'
# sealed_kmsg_unexpected NAME BOOT_STDOUT: what the kernel logged while loading NAME besides that
# message and the timing notices of an emulated machine on a busy host (empty: nothing).
sealed_kmsg_unexpected() {
  grep "^ELFHASH-KMSG $1 " "$2" | sed -E "s/^ELFHASH-KMSG $1 //; s/$SEALED_KMSG//g
    s/clocksource: Long readout interval, skipping watchdog check: cs_nsec: [0-9]+ wd_nsec: [0-9]+//g
    s/hrtimer: interrupt took [0-9]+ ns//g; s/ //g"
}
