#!/usr/bin/env bash
# One process per module, as kbuild's INSTALL_MOD_STRIP runs it (`$(STRIP) --strip-debug FILE` once per
# installed module): `elfhash strip --strip-debug FILE` against GNU `strip --strip-debug FILE`, in
# place on all 1121 cloud -dbg modules, interleaved on each file system given; plus the start-up alone
# (`elfhash strip --version` and GNU `strip --version`, 1121 times) and two floors: `cp -r` of the
# stripped tree (the bytes written) and `/bin/true` run once per module by the same xargs (starting a
# dynamically linked process that does nothing), which no per-process tool can go below.
#
#   tools/bench/strip_per_module.sh [DIR...]   default: ${TMPDIR:-/tmp} (root disk) and /dev/shm
#     ELFHASH, RUNS (default 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
. "$here/lib.sh"
E=$(realpath "${ELFHASH:-$here/../../bazel-bin/tools/elfhash}")
[ -x "$E" ] || { echo "strip_per_module.sh: no elfhash binary at $E" >&2; exit 2; }
needs bc strip findmnt /usr/bin/time
debian_cloud
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("${TMPDIR:-/tmp}" /dev/shm)
n=$(find "$MODS" -name '*.ko' | wc -l)
echo "one process per module: --strip-debug in place of $n -dbg modules, Debian $KVER, $(nproc) cores, median of $RUNS"
echo "  elfhash: $E"
for dir in "${dirs[@]}"; do
  module_column "$dir" elfhash-strip-pp-bench "$E"
  EP="elfhash strip, one process per module"
  GP="GNU strip, one process per module"
  EV="elfhash --version x $n"
  GV="GNU strip --version x $n"
  FL="floor: cp -r of the stripped tree"
  FT="floor: /bin/true, one process per module"
  contender "$EP" "$FRESH" xargs -n1 -a "$W/list" "$E" strip --strip-debug
  contender "$GP" "$FRESH" xargs -n1 -a "$W/list" strip --strip-debug
  contender "$EV" : bash -c "for i in \$(seq $n); do ${E@Q} strip --version; done"
  contender "$GV" : bash -c "for i in \$(seq $n); do strip --version; done"
  contender "$FL" "rm -rf $W/s && sync" cp -r "$W/stripped" "$W/s"
  contender "$FT" : xargs -n1 -a "$W/list" /bin/true
  run_contenders
  ratio_cpu "$GP" "$EP"
  ratio_cpu "$GV" "$EV"
  printf '  per module: elfhash %.2f ms cpu (start-up %.2f ms), GNU %.2f ms cpu (start-up %.2f ms)\n' \
    "$(echo "${MED_CPU[$EP]} * 1000 / $n" | bc -l)" "$(echo "${MED_CPU[$EV]} * 1000 / $n" | bc -l)" \
    "$(echo "${MED_CPU[$GP]} * 1000 / $n" | bc -l)" "$(echo "${MED_CPU[$GV]} * 1000 / $n" | bc -l)"
  printf '  target (issue 15): GNU / elfhash >= 1.5x (wall %.2fx, cpu %.2fx)\n' \
    "$(echo "${MED_T[$GP]} / ${MED_T[$EP]}" | bc -l)" "$(echo "${MED_CPU[$GP]} / ${MED_CPU[$EP]}" | bc -l)"
  printf '  above the /bin/true floor: elfhash %.2f s, GNU %.2f s (wall; GNU / elfhash %.2fx)\n' \
    "$(echo "${MED_T[$EP]} - ${MED_T[$FT]}" | bc -l)" "$(echo "${MED_T[$GP]} - ${MED_T[$FT]}" | bc -l)" \
    "$(echo "(${MED_T[$GP]} - ${MED_T[$FT]}) / (${MED_T[$EP]} - ${MED_T[$FT]})" | bc -l)"
  load_note
  rm -rf "$W"
done
