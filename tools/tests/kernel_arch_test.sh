#!/usr/bin/env bash
# Every Debian release architecture in CI (docs/kernel-tests.md, "Other architectures"): for each one
# in tools/kernel/arches.txt, a fixed sample of ~40 of the modules Debian shipped (the image package
# only, signature cut off; tools/kernel/arch-report.sh IMAGE_ONLY=1) is stripped with
# `elfhash strip --strip-debug` and `--strip-unneeded` and must be byte-identical to GNU strip
# (binutils-multiarch); the same modules are sealed (`elfhash seal` over a kbuild objtree whose
# vmlinux is a stand-in of that architecture, see arch-report.sh): `levels` in the target's byte
# order, every module verifies, -j1 == -j2, a flipped byte fails. The -dbg comparisons (vs Debian's shipped modules) and the vmlinux command of
# every architecture are arch-report.sh's full run: their downloads and xz unpacking (0.3-0.8 GB and
# 4-8 minutes per architecture) do not fit CI's budget. Cold: ~300 MB of image packages, ~2 min;
# cached: ~1 min.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KTEST_NAME=kernel_arch_test
. "$root/tools/tests/kernel_lib.sh"
export ELFHASH=${ELFHASH:-$root/bazel-bin/tools/elfhash}
[ -x "$ELFHASH" ] || setup_fail "$ELFHASH missing"
grep -q elf64-s390 <(strip --help 2>/dev/null) || setup_fail "strip is not binutils-multiarch's"
while read -r arch _; do
  case $arch in ''|'#'*) continue ;; esac
  out=$(SAMPLE=${ARCH_SAMPLE:-40} IMAGE_ONLY=1 bash "$root/tools/kernel/arch-report.sh" "$arch" 2>&1)
  rc=$?
  echo "$out"
  for what in "strip-debug vs GNU strip" "strip-unneeded vs GNU strip"; do
    line=$(grep -F "  $what:" <<<"$out")
    read -r same total < <(sed -n 's/.*: \([0-9]*\) of \([0-9]*\) identical.*/\1 \2/p' <<<"$line")
    ok=1; [ -n "${total:-}" ] && [ "$total" -gt 0 ] && [ "$same" = "$total" ] && ok=0
    check "$arch: $what, ${total:-0} shipped modules" "$ok" "$line"
  done
  line=$(grep -F "  seal:" <<<"$out")
  ok=1; [[ $line == *"verify: "*" ok; -j1 == -j2; flipped byte: 1 failed" ]] && ok=0
  check "$arch: seal (levels in the target's byte order, all verify, tamper refused)" "$ok" "$line"
  check "$arch: arch-report.sh exit status" "$( ((rc == 0)) && echo 0 || echo 1)" "rc=$rc"
done < "$root/tools/kernel/arches.txt"
echo "$passed passed, $failed failed"
((failed == 0))
