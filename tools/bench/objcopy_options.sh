#!/usr/bin/env bash
# The options kernel builds and distro packaging use beyond --strip-debug (issue 11), elfhash against
# GNU binutils and llvm-objcopy/llvm-strip in one run, interleaved (docs/benchmarks.md):
#   vmlinux (Debian's unstripped cloud-amd64 -dbg vmlinux, 562 MiB), one process each:
#     -O binary -R .note -R .comment -S   (arm64's Image rule, the flat image of a vmlinux)
#     -R .comment -S                      (arch/x86/boot/compressed's vmlinux.bin)
#     --only-keep-debug                   (rpm's find-debuginfo on vmlinux: segments laid out again)
#     strip --strip-all -o OUT
#     with the peak anonymous RSS of elfhash (the bound: 64 MiB beyond the mapped input);
#   modules (all 1121 -dbg modules in place, one process for all files, fresh copy each run):
#     --strip-debug (the reference), --strip-unneeded, --strip-all, -x -g (--discard-all),
#     --only-keep-debug, -g --remove-relocations='.rela.debug_*' (GNU and elfhash only: llvm-strip
#     has no --remove-relocations, and with -x it refuses the modules: "not stripping symbol
#     'SHUF_MASK' because it is named in a relocation"); and --compress-debug-sections=zlib through objcopy, one process
#     per module, on the first 100 modules.
#
#   tools/bench/objcopy_options.sh [DIR]   scratch directory (default /dev/shm: the tools' own cost)
#     ELFHASH, RUNS (default 3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
. "$here/lib.sh"
E=$(realpath "${ELFHASH:-$here/../../bazel-bin/tools/elfhash}")
[ -x "$E" ] || { echo "objcopy_options.sh: no elfhash binary at $E" >&2; exit 2; }
needs bc objcopy strip llvm-objcopy llvm-strip findmnt /usr/bin/time
debian_cloud
W=$(mktemp -d "${1:-/dev/shm}/elfhash-options-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo "objcopy/strip options: Debian $KVER, $(nproc) cores, median of $RUNS; scratch $W: $(fs_note "$W")"
echo "  elfhash: $E"
load_note

# ---- vmlinux ----
cat "$VMLINUX" > /dev/null
in_mb=$(( $(stat -c %s "$VMLINUX") / 1048576 ))
echo "vmlinux ($in_mb MiB):"
declare -A VOPTS=(
  [binary]="-O binary -R .note -R .comment -S"
  [strip-all]="-R .comment -S"
  [okd]="--only-keep-debug"
)
for k in binary strip-all okd; do
  read -r -a o <<< "${VOPTS[$k]}"
  contender "elfhash objcopy ${VOPTS[$k]}" "rm -f $W/v" "$E" objcopy "${o[@]}" "$VMLINUX" "$W/v"
  contender "GNU objcopy ${VOPTS[$k]}" "rm -f $W/v" objcopy "${o[@]}" "$VMLINUX" "$W/v"
  contender "llvm-objcopy ${VOPTS[$k]}" "rm -f $W/v" llvm-objcopy "${o[@]}" "$VMLINUX" "$W/v"
done
contender "elfhash strip --strip-all -o" "rm -f $W/v" "$E" strip --strip-all -o "$W/v" "$VMLINUX"
contender "GNU strip --strip-all -o" "rm -f $W/v" strip --strip-all -o "$W/v" "$VMLINUX"
contender "llvm-strip --strip-all -o" "rm -f $W/v" llvm-strip --strip-all -o "$W/v" "$VMLINUX"
run_contenders
for k in binary strip-all okd; do
  ratio_cpu "GNU objcopy ${VOPTS[$k]}" "elfhash objcopy ${VOPTS[$k]}"
  ratio_cpu "llvm-objcopy ${VOPTS[$k]}" "elfhash objcopy ${VOPTS[$k]}"
done
ratio_cpu "GNU strip --strip-all -o" "elfhash strip --strip-all -o"
ratio_cpu "llvm-strip --strip-all -o" "elfhash strip --strip-all -o"
for k in binary strip-all okd; do
  read -r -a o <<< "${VOPTS[$k]}"
  peak_anon "elfhash objcopy ${VOPTS[$k]}" "$E" objcopy "${o[@]}" "$VMLINUX" "$W/v"
done
peak_anon "elfhash strip --strip-all -o" "$E" strip --strip-all -o "$W/v" "$VMLINUX"
echo "  target (issue 11): faster than GNU, <= 64 MiB anonymous RSS beyond the mapped input"
rm -f "$W/v"
load_note

# ---- modules ----
n=$(find "$MODS" -name '*.ko' | wc -l)
echo "modules: $n -dbg modules in place, one process for all:"
module_copies "$W"
no_llvm() { [[ $1 == *remove-relocations* || $1 == -x* ]]; }
MOPTS=(--strip-debug --strip-unneeded --strip-all "-x -g" --only-keep-debug "-g --remove-relocations=.rela.debug_*")
for opt in "${MOPTS[@]}"; do
  read -r -a o <<< "$opt"
  contender "elfhash strip $opt" "$FRESH" xargs -a "$W/list" "$E" strip "${o[@]}"
  contender "GNU strip $opt" "$FRESH" xargs -a "$W/list" strip "${o[@]}"
  no_llvm "$opt" || contender "llvm-strip $opt" "$FRESH" xargs -a "$W/list" llvm-strip "${o[@]}"
done
run_contenders
for opt in "${MOPTS[@]}"; do
  ratio_cpu "GNU strip $opt" "elfhash strip $opt"
  no_llvm "$opt" || ratio_cpu "llvm-strip $opt" "elfhash strip $opt"
done
for opt in "${MOPTS[@]:1}"; do ratio_cpu "elfhash strip $opt" "elfhash strip --strip-debug"; done
echo "compress: objcopy --compress-debug-sections=zlib IN OUT, one process per module, first 100 modules:"
head -100 "$W/list" | sed "s|^$W/m|$W/pristine|" > "$W/list100"
loop() { echo "while read -r f; do $1 --compress-debug-sections=zlib \"\$f\" $W/c.o || exit 1; done < $W/list100"; }
contender "elfhash objcopy --compress-debug-sections=zlib" : bash -c "$(loop "${E@Q} objcopy")"
contender "GNU objcopy --compress-debug-sections=zlib" : bash -c "$(loop objcopy)"
contender "llvm-objcopy --compress-debug-sections=zlib" : bash -c "$(loop llvm-objcopy)"
run_contenders
ratio_cpu "GNU objcopy --compress-debug-sections=zlib" "elfhash objcopy --compress-debug-sections=zlib"
ratio_cpu "llvm-objcopy --compress-debug-sections=zlib" "elfhash objcopy --compress-debug-sections=zlib"
echo "  target (issue 11): each option's GNU / elfhash ratio no lower than --strip-debug's"
load_note
