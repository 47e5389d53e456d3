#!/usr/bin/env bash
# kbuild's vmlinux objcopy (objcopy_vmlinux, spec §5.1) on Debian's cloud kernel: ONE elfhash call
# against GNU objcopy as kbuild runs it (two processes: set noload, then remove), GNU objcopy and
# llvm-objcopy in one pass, and the floor `cp` of the output file (every output byte written once),
# interleaved round by round, on each file system given (docs/benchmarks.md). With PREV=binary, the
# same command and a one-process --strip-debug of all 1121 -dbg modules also run with that (older)
# elfhash in the same rounds, and the ratios current / previous are printed (the 5% bound of a change).
#
#   tools/bench/objcopy.sh [DIR...]   default: ${TMPDIR:-/tmp} (root disk) and /dev/shm
#     ELFHASH   binary (default: bazel-bin/tools/elfhash; build with -c opt)
#     PREV      an earlier elfhash build to compare with (optional)
#     RUNS      repetitions per contender, medians printed (default 5; >= 3)
#     INSNS=1   also count user-space instructions with valgrind --tool=callgrind (independent of the
#               machine's load): elfhash (and PREV) and GNU objcopy on vmlinux
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
E=$(realpath "${ELFHASH:-$here/../../bazel-bin/tools/elfhash}")
[ -x "$E" ] || { echo "objcopy.sh: no elfhash binary at $E" >&2; exit 2; }
P=${PREV:+$(realpath "$PREV")}
needs bc objcopy strip llvm-objcopy findmnt /usr/bin/time
debian_cloud
V=$VMLINUX
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("${TMPDIR:-/tmp}" /dev/shm)
kb1=(--set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload --set-section-flags '!.rel*.dyn'=noload
     --set-section-flags '.rel.*'=noload)
kb2=(--remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' --remove-section='.rel.*'
     -w --strip-unneeded-symbol='__mod_device_table__*')
echo "elfhash objcopy benchmark: Debian $KVER, $(nproc) cores, median of $RUNS runs"
echo "  elfhash: $E${P:+; previous: $P}"
cat "$V" > /dev/null  # warm the page cache for every contender alike
for dir in "${dirs[@]}"; do
  W=$(mktemp -d "$dir/elfhash-bench.XXXXXX")
  trap 'rm -rf "$W"' EXIT
  echo "file system: $dir: $(fs_note "$W")"
  load_note
  "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/ref"
  in_mb=$(( $(stat -c %s "$V") / 1048576 )) out_mb=$(( $(stat -c %s "$W/ref") / 1048576 ))
  echo "vmlinux: kbuild objcopy_vmlinux (spec §5.1), $in_mb MiB in, $out_mb MiB out"
  CP="floor: cp of the output ($out_mb MiB)"
  EH="elfhash objcopy (one pass)"
  EP="previous elfhash objcopy (one pass)"
  GP="GNU objcopy pair (as kbuild runs it)"
  G1="GNU objcopy one pass"
  L1="llvm-objcopy one pass"
  contender "$CP" "rm -f $W/o && sync" cp "$W/ref" "$W/o"
  contender "$EH" "rm -f $W/o && sync" "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
  [ -z "$P" ] || contender "$EP" "rm -f $W/o && sync" "$P" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
  contender "$GP" "rm -f $W/o && sync" bash -c "objcopy ${kb1[*]@Q} ${V@Q} $W/o && objcopy ${kb2[*]@Q} $W/o"
  contender "$G1" "rm -f $W/o && sync" objcopy "${kb2[@]}" "$V" "$W/o"
  contender "$L1" "rm -f $W/o && sync" llvm-objcopy "${kb2[@]}" "$V" "$W/o"
  run_contenders
  rm -f "$W/o"
  "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o" && cmp -s "$W/o" "$W/ref" || { echo "elfhash output differs between runs" >&2; exit 1; }
  peak_anon "$EH" "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
  ratio_cpu "$EH" "$CP"
  ratio_cpu "$GP" "$EH"
  ratio_cpu "$G1" "$EH"
  ratio_cpu "$L1" "$EH"
  [ -z "$P" ] || ratio_cpu "$EH" "$EP"
  echo "  targets (issue 15): elfhash <= 1.2x cp (wall: $(printf %.2f "$(echo "${MED_T[$EH]} / ${MED_T[$CP]}" | bc -l)")x," \
    "cpu: $(printf %.2f "$(echo "${MED_CPU[$EH]} / ${MED_CPU[$CP]}" | bc -l)")x);" \
    "RSS beyond the mapped input <= 64 MiB ($(( MED_ANON[$EH] / 1024 )) MiB anonymous)"
  if [ -n "$P" ]; then
    n=$(find "$MODS" -name '*.ko' | wc -l)
    echo "modules: --strip-debug in place of all $n -dbg modules, one process, current and previous elfhash"
    module_copies "$W"
    contender "elfhash strip (current)" "$FRESH" xargs -a "$W/list" "$E" strip --strip-debug
    contender "elfhash strip (previous)" "$FRESH" xargs -a "$W/list" "$P" strip --strip-debug
    run_contenders
    ratio_cpu "elfhash strip (current)" "elfhash strip (previous)"
    echo "  target (issue 10): current within 5% of previous (<= 1.05x)"
  fi
  load_note
  rm -rf "$W"
done

if [ "${INSNS:-0}" = 1 ]; then
  needs valgrind
  W=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-bench.XXXXXX")
  insns() {  # LABEL CMD...: user-space instructions of CMD and its children
    local label=$1; shift
    rm -f "$W/o"
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$W/cg.%p" "$@" >/dev/null 2>"$W/cg.log" || true
    local ir
    ir=$(cat "$W"/cg.[0-9]* 2>/dev/null | awk '/^summary:/{s+=$2} END {printf "%.0f\n", s}')
    rm -f "$W"/cg.[0-9]*
    if [ "$ir" = 0 ]; then echo "  $label: callgrind failed: $(tail -3 "$W/cg.log")"; return; fi
    printf '  %-52s %8.1f M instructions\n' "$label" "$(echo "$ir / 1000000" | bc -l)"
  }
  echo "user-space instructions (callgrind, one run each), vmlinux objcopy_vmlinux:"
  insns "elfhash" "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
  [ -z "$P" ] || insns "previous elfhash" "$P" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
  insns "GNU objcopy one pass" objcopy "${kb2[@]}" "$V" "$W/o"
  rm -rf "$W"
fi
