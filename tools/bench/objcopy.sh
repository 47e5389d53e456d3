#!/usr/bin/env bash
# elfhash objcopy/strip vs GNU binutils, llvm-objcopy/llvm-strip and elfutils eu-strip on Debian's
# cloud kernel (-dbg package), all in one run; prints medians, ratios and peak RSS (docs/benchmarks.md).
#
#   tools/bench/objcopy.sh [ELFHASH]
#     ELFHASH    binary (default: bazel-bin/tools/elfhash; build with -c opt)
#     RUNS       repetitions per contender, medians printed (default 5; >= 3)
#     BENCH_DIR  scratch directory for outputs and module copies (default: /dev/shm when it has room,
#                else $TMPDIR or /tmp). On tmpfs the figures are the tools' own cost; on a disk file
#                system they include its metadata work (ext4 starts writeback of every file renamed
#                over another one, which in-place strip does 1121 times).
#     INSNS=1    also count user-space instructions with valgrind --tool=callgrind (slow; machine-load
#                independent): elfhash and GNU objcopy on vmlinux, elfhash strip -j1 and GNU strip on
#                all modules.
#
# vmlinux: the kbuild objcopy_vmlinux step (spec §5.1) as ONE elfhash call, against GNU objcopy as
# kbuild runs it (two processes: set noload, then remove), GNU and llvm-objcopy in one pass, and `cp`
# of the output file (the floor: every output byte must be written). Modules: --strip-debug in place
# of all -dbg modules, elfhash (one process, all cores; -j1; one process per module) against GNU strip
# (one process per module as kbuild's INSTALL_MOD_STRIP runs it, and one for all), llvm-strip and
# eu-strip (one process for all). The file-system floor is what any in-place strip must at least
# cost: deleting the unstripped files (the kernel frees their pages) and creating the stripped ones.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
E=${1:-${ELFHASH:-$here/../../bazel-bin/tools/elfhash}}
case $E in /*) ;; *) E=$PWD/$E ;; esac
[ -x "$E" ] || { echo "objcopy.sh: no elfhash binary at $E" >&2; exit 2; }
for t in bc objcopy strip llvm-objcopy llvm-strip eu-strip /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "objcopy.sh: needs $t (tools/setup.sh installs it)" >&2; exit 2; }
done
kdir=$(bash "$here/../kernel/fetch-debian.sh")
kver=$(cat "$kdir/kver")
V=$kdir/dbg/usr/lib/debug/boot/vmlinux-$kver
MODS=$kdir/dbg/usr/lib/debug/lib/modules/$kver/kernel
mods_mb=$(du -sm "$MODS" | cut -f1)
if [ -z "${BENCH_DIR:-}" ]; then
  BENCH_DIR=${TMPDIR:-/tmp}
  shm_free=$(df -Pm /dev/shm 2>/dev/null | awk 'NR==2{print $4}')
  [ -w /dev/shm ] && [ "${shm_free:-0}" -gt $((3 * mods_mb + 1024)) ] && BENCH_DIR=/dev/shm
fi
W=$(mktemp -d "$BENCH_DIR/elfhash-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo "elfhash objcopy/strip benchmark: Debian $kver, $(nproc) cores, median of $RUNS runs"
echo "  scratch: $W ($(stat -f -c %T "$W")); elfhash: $E"
load_note

# ---- vmlinux ----
kb1=(--set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload --set-section-flags '!.rel*.dyn'=noload
     --set-section-flags '.rel.*'=noload)
kb2=(--remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' --remove-section='.rel.*'
     -w --strip-unneeded-symbol='__mod_device_table__*')
cat "$V" > /dev/null  # warm the page cache for every contender alike
"$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/ref"
in_mb=$(( $(stat -c %s "$V") / 1048576 )) out_mb=$(( $(stat -c %s "$W/ref") / 1048576 ))
echo "vmlinux: kbuild objcopy_vmlinux (spec §5.1), $in_mb MiB in, $out_mb MiB out"
CP="cp of the output ($out_mb MiB)"
EH="elfhash objcopy (one pass)"
GP="GNU objcopy pair (as kbuild runs it)"
G1="GNU objcopy one pass"
L1="llvm-objcopy one pass"
measure "$CP" "rm -f $W/o" cp "$W/ref" "$W/o"
measure "$EH" "rm -f $W/o" "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
cmp -s "$W/o" "$W/ref" || { echo "elfhash output differs between runs" >&2; exit 1; }
measure "$GP" "rm -f $W/o" bash -c "objcopy ${kb1[*]@Q} ${V@Q} $W/o && objcopy ${kb2[*]@Q} $W/o"
measure "$G1" "rm -f $W/o" objcopy "${kb2[@]}" "$V" "$W/o"
measure "$L1" "rm -f $W/o" llvm-objcopy "${kb2[@]}" "$V" "$W/o"
peak_anon "$EH" "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
ratio_cpu "$EH" "$CP"
ratio_cpu "$GP" "$EH"
ratio_cpu "$G1" "$EH"
ratio_cpu "$L1" "$EH"
echo "  targets: elfhash <= 1.5x cp (wall: $(printf %.2f "$(echo "${MED_T[$EH]} / ${MED_T[$CP]}" | bc -l)")x);" \
  "RSS beyond the mapped input <= 64 MiB ($(( MED_ANON[$EH] / 1024 )) MiB anonymous;" \
  "$(( MED_RSS[$EH] / 1024 )) MiB peak RSS incl. touched input pages, input is $in_mb MiB)"
load_note
rm -f "$W/o" "$W/ref"

# ---- modules ----
n=$(find "$MODS" -name '*.ko' | wc -l)
echo "modules: $n unstripped -dbg modules ($mods_mb MiB), --strip-debug in place"
cp -r "$MODS" "$W/pristine"
find "$W/pristine" -name '*.ko' | sort > "$W/list.in"
sed "s|^$W/pristine|$W/m|" "$W/list.in" > "$W/list"
fresh="rm -rf $W/m && cp -r $W/pristine $W/m"
EA="elfhash strip (one process, all cores)"
EJ="elfhash strip -j1 (one process, one thread)"
EP="elfhash strip, one process per module"
GP="GNU strip, one process per module (kbuild)"
GA="GNU strip, one process for all"
LA="llvm-strip, one process for all"
UA="eu-strip, one process for all"
measure "$EA" "$fresh" xargs -a "$W/list" "$E" strip --strip-debug
cp -r "$W/m" "$W/stripped"
FL="file-system floor: rm -r inputs, cp -r outputs"
measure "$FL" "$fresh && rm -rf $W/s" bash -c "rm -rf $W/m && cp -r $W/stripped $W/s"
measure "$EJ" "$fresh" xargs -a "$W/list" "$E" strip --strip-debug -j 1
measure "$EP" "$fresh" xargs -n1 -a "$W/list" "$E" strip --strip-debug
measure "$GP" "$fresh" xargs -n1 -a "$W/list" strip --strip-debug
measure "$GA" "$fresh" xargs -a "$W/list" strip --strip-debug
measure "$LA" "$fresh" xargs -a "$W/list" llvm-strip --strip-debug
measure "$UA" "$fresh" xargs -a "$W/list" eu-strip --strip-debug
ratio_cpu "$GP" "$EA"
ratio_cpu "$GA" "$EA"
ratio_cpu "$LA" "$EA"
ratio_cpu "$UA" "$EA"
ratio_cpu "$EP" "$EA"
ratio_cpu "$EA" "$FL"
printf '  target: all %d modules <= 0.2 s (elfhash: %.3f s wall, %.3f s cpu)\n' "$n" "${MED_T[$EA]}" "${MED_CPU[$EA]}"
load_note

if [ "${INSNS:-0}" = 1 ]; then
  command -v valgrind >/dev/null || { echo "INSNS=1 needs valgrind" >&2; exit 2; }
  insns() {  # LABEL PREP CMD...: user-space instructions of CMD and its children
    local label=$1 prep=$2; shift 2
    eval "$prep"
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$W/cg.%p" "$@" >/dev/null 2>"$W/cg.log" || true
    local ir
    ir=$(cat "$W"/cg.[0-9]* 2>/dev/null | awk '/^summary:/{s+=$2} END {printf "%.0f\n", s}')
    rm -f "$W"/cg.[0-9]*
    if [ "$ir" = 0 ]; then echo "  $label: callgrind failed: $(tail -3 "$W/cg.log")"; return; fi
    printf '  %-52s %8.1f M instructions\n' "$label" "$(echo "$ir / 1000000" | bc -l)"
  }
  echo "user-space instructions (callgrind, one run each):"
  insns "vmlinux: $EH" "rm -f $W/o" "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
  insns "vmlinux: $G1" "rm -f $W/o" objcopy "${kb2[@]}" "$V" "$W/o"
  insns "modules: $EJ" "$fresh" xargs -a "$W/list" "$E" strip --strip-debug -j 1
  insns "modules: $GA" "$fresh" xargs -a "$W/list" strip --strip-debug
fi
