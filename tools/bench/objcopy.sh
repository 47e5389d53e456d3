#!/usr/bin/env bash
# elfhash objcopy/strip vs GNU binutils, llvm-objcopy and elfutils on Debian's cloud kernel, in one run.
# Usage: tools/bench/objcopy.sh [ELFHASH]   (RUNS=5 by default; medians printed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
E=${1:-$here/../../bazel-bin/tools/elfhash}
command -v bc >/dev/null || { echo "needs bc (tools/setup.sh installs it)"; exit 1; }
kdir=$(bash "$here/../kernel/fetch-debian.sh")
kver=$(cat "$kdir/kver")
V=$kdir/dbg/usr/lib/debug/boot/vmlinux-$kver
MODS=$kdir/dbg/usr/lib/debug/lib/modules/$kver/kernel
W=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo "elfhash objcopy/strip benchmark: Debian $kver, $(nproc) cores, median of $RUNS runs"
cat "$V" > /dev/null  # warm the page cache for every contender alike

kb1=(--set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload --set-section-flags '!.rel*.dyn'=noload --set-section-flags '.rel.*'=noload)
kb2=(--remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' --remove-section='.rel.*' -w --strip-unneeded-symbol='__mod_device_table__*')
echo "vmlinux ($(stat -c %s "$V") bytes in): kbuild objcopy_vmlinux (spec §5.1)"
"$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/ref"
measure "cp of the output ($(stat -c %s "$W/ref") bytes)" "rm -f $W/o" cp "$W/ref" "$W/o"
measure "elfhash objcopy (one pass)" "rm -f $W/o" "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$V" "$W/o"
measure "GNU objcopy pair (as kbuild runs it)" "rm -f $W/o" bash -c "objcopy ${kb1[*]@Q} ${V@Q} $W/o && objcopy ${kb2[*]@Q} $W/o"
measure "GNU objcopy one pass" "rm -f $W/o" objcopy "${kb2[@]}" "$V" "$W/o"
measure "llvm-objcopy one pass" "rm -f $W/o" llvm-objcopy "${kb2[@]}" "$V" "$W/o"
ratio "elfhash objcopy (one pass)" "cp of the output ($(stat -c %s "$W/ref") bytes)"
ratio "GNU objcopy pair (as kbuild runs it)" "elfhash objcopy (one pass)"
ratio "GNU objcopy one pass" "elfhash objcopy (one pass)"
ratio "llvm-objcopy one pass" "elfhash objcopy (one pass)"
echo "  input mapped: $(( $(stat -c %s "$V") / 1048576 )) MiB (elfhash's RSS counts only the pages it reads)"

n=$(find "$MODS" -name '*.ko' | wc -l)
echo "modules: $n unstripped -dbg modules, --strip-debug in place"
fresh="rm -rf $W/m && cp -r $MODS $W/m"
list() { find "$W/m" -name '*.ko' -print0; }
export -f list; export W
measure "elfhash strip (one process, all cores)" "$fresh" bash -c "find $W/m -name '*.ko' | sort | xargs $E strip --strip-debug"
measure "elfhash strip -j1" "$fresh" bash -c "find $W/m -name '*.ko' | sort | xargs $E strip --strip-debug -j 1"
measure "GNU strip, one process per module (kbuild)" "$fresh" bash -c "find $W/m -name '*.ko' | xargs -n1 strip --strip-debug"
measure "GNU strip, one process for all" "$fresh" bash -c "find $W/m -name '*.ko' | xargs strip --strip-debug"
measure "llvm-strip, one process for all" "$fresh" bash -c "find $W/m -name '*.ko' | xargs llvm-strip --strip-debug"
measure "eu-strip, one process for all" "$fresh" bash -c "find $W/m -name '*.ko' | xargs eu-strip --strip-debug"
ratio "GNU strip, one process per module (kbuild)" "elfhash strip (one process, all cores)"
ratio "GNU strip, one process for all" "elfhash strip (one process, all cores)"
ratio "llvm-strip, one process for all" "elfhash strip (one process, all cores)"
ratio "eu-strip, one process for all" "elfhash strip (one process, all cores)"
