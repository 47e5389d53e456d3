#!/usr/bin/env bash
# In-place `strip --strip-debug` of all of Debian's cloud-amd64 -dbg modules (1121 files, 1.2 GB), as
# kbuild's INSTALL_MOD_STRIP does after copying them: elfhash (one process, all cores; and -j1 for the
# CPU comparison), eu-strip, GNU strip and llvm-strip (one process for all), and the file-system floor
# `cp -r` of the stripped tree, interleaved round by round on each file system given (docs/benchmarks.md).
# Every contender starts from a fresh copy of the unstripped tree, written back (sync) before timing.
#
#   tools/bench/strip.sh [DIR...]   one column per DIR (default: ${TMPDIR:-/tmp}, i.e. the root disk,
#                                   and /dev/shm, tmpfs); name the build tree's disk to measure there
#     ELFHASH   binary (default bazel-bin/tools/elfhash, built with -c opt); RUNS (default 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
. "$here/lib.sh"
E=$(realpath "${ELFHASH:-$here/../../bazel-bin/tools/elfhash}")
[ -x "$E" ] || { echo "strip.sh: no elfhash binary at $E" >&2; exit 2; }
needs bc strip llvm-strip eu-strip findmnt /usr/bin/time
debian_cloud
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("${TMPDIR:-/tmp}" /dev/shm)
n=$(find "$MODS" -name '*.ko' | wc -l)
echo "in-place strip --strip-debug of $n -dbg modules ($(du -sm "$MODS" | cut -f1) MiB), Debian $KVER, $(nproc) cores, median of $RUNS"
echo "  elfhash: $E"
for dir in "${dirs[@]}"; do
  module_column "$dir" elfhash-strip-bench "$E"
  EA="elfhash strip (one process, all cores)"
  EJ="elfhash strip -j1"
  UA="eu-strip (one process)"
  GA="GNU strip (one process)"
  LA="llvm-strip (one process)"
  FL="floor: cp -r of the stripped tree"
  contender "$EA" "$FRESH" xargs -a "$W/list" "$E" strip --strip-debug
  contender "$EJ" "$FRESH" xargs -a "$W/list" "$E" strip --strip-debug -j 1
  contender "$UA" "$FRESH" xargs -a "$W/list" eu-strip --strip-debug
  contender "$GA" "$FRESH" xargs -a "$W/list" strip --strip-debug
  contender "$LA" "$FRESH" xargs -a "$W/list" llvm-strip --strip-debug
  contender "$FL" "rm -rf $W/s && sync" cp -r "$W/stripped" "$W/s"
  run_contenders
  ratio_cpu "$EA" "$UA"
  ratio_cpu "$EJ" "$UA"
  ratio_cpu "$GA" "$EA"
  ratio_cpu "$LA" "$EA"
  ratio_cpu "$EA" "$FL"
  printf '  target (issue 15): elfhash <= eu-strip in wall (%.2fx) and CPU with -j1 (%.2fx)\n' \
    "$(echo "${MED_T[$EA]} / ${MED_T[$UA]}" | bc -l)" "$(echo "${MED_CPU[$EJ]} / ${MED_CPU[$UA]}" | bc -l)"
  load_note
  rm -rf "$W"
done
