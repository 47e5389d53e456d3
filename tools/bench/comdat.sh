#!/usr/bin/env bash
# Per-section lookups must be linear, as GNU strip's are (issue: 8000 COMDAT groups took elfhash
# 8.7 s and GNU strip 0.09 s, because each group looked its members up by scanning every section).
# Generates an object with N COMDAT groups (one .text.fI section and one .rela.text.fI each, as C++
# inline functions give) and times `strip --strip-debug` of it, elfhash against GNU strip, in one
# run; prints medians and the ratio (docs/benchmarks.md). No kernel needed.
#
#   tools/bench/comdat.sh [ELFHASH]     COMDAT_GROUPS (default 8000), RUNS (default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
E=${1:-${ELFHASH:-$here/../../bazel-bin/tools/elfhash}}
case $E in /*) ;; *) E=$PWD/$E ;; esac
[ -x "$E" ] || { echo "comdat.sh: no elfhash binary at $E" >&2; exit 2; }
for t in as strip bc /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "comdat.sh: needs $t (tools/setup.sh installs it)" >&2; exit 2; }
done
N=${COMDAT_GROUPS:-8000}
W=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-bench-comdat.XXXXXX")
trap 'rm -rf "$W"' EXIT
awk -v n="$N" 'BEGIN {
  for (i = 0; i < n; i++) {
    printf ".section .text.f%d,\"axG\",@progbits,f%d,comdat\n.globl f%d\n.weak f%d\nf%d:\n  call g\n  ret\n", i, i, i, i, i
  }
  printf ".section .debug_str,\"MS\",@progbits,1\n.string \"x\"\n"
}' > "$W/groups.s"
as --64 -o "$W/groups.o" "$W/groups.s"
echo "COMDAT groups: strip --strip-debug of an object with $N groups ($(( $(stat -c %s "$W/groups.o") / 1024 )) KiB), median of $RUNS runs"
load_note
"$E" strip --strip-debug -o "$W/eh.o" "$W/groups.o"
strip --strip-debug -o "$W/gnu.o" "$W/groups.o"
cmp "$W/eh.o" "$W/gnu.o" || { echo "comdat.sh: elfhash output differs from GNU strip's" >&2; exit 1; }
EH="elfhash strip ($N groups)"
GNU="GNU strip ($N groups)"
measure "$EH" : "$E" strip --strip-debug -o "$W/eh.o" "$W/groups.o"
measure "$GNU" : strip --strip-debug -o "$W/gnu.o" "$W/groups.o"
ratio_cpu "$EH" "$GNU"
