#!/usr/bin/env bash
# Real-data judge for `elfhash strip` / `elfhash objcopy` against GNU binutils on Debian's current
# cloud-amd64 kernel (tools/kernel/fetch-debian.sh):
#  - `strip --strip-debug` of every -dbg module: byte-identical to GNU strip (counted per module), and
#    equal to the module Debian ships minus its PKCS#7 trailer (Debian's build = GNU strip + sign-file);
#  - the kbuild vmlinux command (spec §5.1) as one elfhash call: byte-identical to the GNU pair.
# Prints per-check PASS/FAIL and "N passed, N failed". Needs ELFHASH (path to the binary).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
E=${ELFHASH:?set ELFHASH to the elfhash binary}
kdir=$(bash "$here/../kernel/fetch-debian.sh") || { echo "cannot fetch Debian kernel"; echo "0 passed, 1 failed"; exit 1; }
kver=$(cat "$kdir/kver")
dbg=$kdir/dbg/usr/lib/debug/lib/modules/$kver/kernel
shipped=$kdir/unsigned/lib/modules/$kver/kernel
vmlinux=$kdir/dbg/usr/lib/debug/boot/vmlinux-$kver
T=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-parity.XXXXXX")
trap 'rm -rf "$T"' EXIT

cp -r "$dbg" "$T/gnu" && cp -r "$dbg" "$T/eh"
(cd "$T/gnu" && find . -name '*.ko' -print0 | xargs -0 strip --strip-debug)
"$E" strip --strip-debug $(cd "$T/eh" && find . -name '*.ko' | sort | sed "s|^\.|$T/eh|")
total=0 same=0 shipped_same=0
while IFS= read -r m; do
  total=$((total + 1))
  cmp -s "$T/gnu/$m" "$T/eh/$m" && same=$((same + 1))
  # Debian's module = stripped image + signature: compare the image part.
  size=$(stat -c %s "$T/eh/$m")
  [ -f "$shipped/$m" ] && cmp -s -n "$size" "$T/eh/$m" "$shipped/$m" && shipped_same=$((shipped_same + 1))
done < <(cd "$T/eh" && find . -name '*.ko' | sort)
echo "modules: $total; byte-identical to GNU strip: $same; equal to Debian's shipped image: $shipped_same"
all_same() { [ "$total" -gt 1000 ] && [ "$same" = "$total" ]; }
check "all $total -dbg modules: elfhash strip --strip-debug byte-identical to GNU strip" all_same
all_shipped() { [ "$shipped_same" = "$total" ]; }
check "all $total modules equal Debian's shipped module bytes before the signature" all_shipped

kb1=(--set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload --set-section-flags '!.rel*.dyn'=noload
     --set-section-flags '.rel.*'=noload)
kb2=(--remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' --remove-section='.rel.*'
     -w --strip-unneeded-symbol='__mod_device_table__*')
vmlinux_parity() {
  objcopy "${kb1[@]}" "$vmlinux" "$T/vmlinux.gnu" && objcopy "${kb2[@]}" "$T/vmlinux.gnu" &&
    "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$vmlinux" "$T/vmlinux.eh" && cmp "$T/vmlinux.gnu" "$T/vmlinux.eh"
}
check "vmlinux: one elfhash objcopy = GNU objcopy_vmlinux pair, byte for byte" vmlinux_parity
vmlinux_llvm_equivalent() {
  llvm-objcopy "${kb2[@]}" "$vmlinux" "$T/vmlinux.llvm" && "$E" diff --quiet "$T/vmlinux.llvm" "$T/vmlinux.eh"
}
check "vmlinux: equivalent to llvm-objcopy's output (elfhash diff)" vmlinux_llvm_equivalent
# Edits that make binutils rewrite the program headers of the real vmlinux (rewrite_elf_program_header):
# link-vmlinux's BTF extraction (scripts/link-vmlinux.sh gen_btf) keeps one allocated section, and
# re-aligning a section inside a PT_LOAD.
vmlinux_rewrite() {  # vmlinux_rewrite OPTIONS...
  objcopy "$@" "$vmlinux" "$T/rw.gnu" && "$E" objcopy "$@" "$vmlinux" "$T/rw.eh" && cmp "$T/rw.gnu" "$T/rw.eh"
}
check "vmlinux: gen_btf's --only-section=.BTF --set-section-flags .BTF=alloc,readonly --strip-all = GNU" \
  vmlinux_rewrite --only-section=.BTF --set-section-flags .BTF=alloc,readonly --strip-all
check "vmlinux: --set-section-alignment .data=64 (segments rewritten) = GNU" vmlinux_rewrite --set-section-alignment .data=64
finish
