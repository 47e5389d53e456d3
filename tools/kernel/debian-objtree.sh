#!/usr/bin/env bash
# Turns Debian's cloud kernel packages into the objtree that `elfhash seal` takes: the inputs kbuild
# would leave behind with CONFIG_MODULE_HASHES=y (spec §4.2, §6.2). Made once, cached, and printed.
#
#   OBJTREE/vmlinux.unstripped               the -dbg vmlinux (.rela.*, .modinfo, DWARF) plus a
#                                            36-byte all-zero `.module_hashes` section
#   OBJTREE/modules.order                    kbuild spelling (`fs/isofs/isofs.o`), in Debian's order
#   OBJTREE/<path>.ko                        symlinks to the unstripped -dbg modules
#   OBJTREE/include/config/kernel.release    the kernel release
#
# Debian 6.1 predates the module-hashes series, so its vmlinux has no `.module_hashes`: the
# placeholder is added here as a non-allocated PROGBITS section (GNU objcopy --add-section). Debian's
# kernel never reads it, so booting the sealed vmlinux exercises everything but the root compare;
# tools/kernel/build-test-kernel.sh builds a kernel that does compare it.
#
# usage: debian-objtree.sh [--debian DIR]     (DIR: output of fetch-debian.sh; default: run it)
# env:   ELFHASH_CACHE (default ~/.cache/elfhash)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deb=
if [ "${1:-}" = --debian ]; then deb=${2:?}; shift 2; fi
[ -n "$deb" ] || deb=$(bash "$here/fetch-debian.sh")
kver=$(cat "$deb/kver")
obj=$deb/objtree
if [ -f "$obj/.complete" ]; then echo "$obj"; exit 0; fi

dbgmods=$deb/dbg/usr/lib/debug/lib/modules/$kver
order=$deb/unsigned/lib/modules/$kver/modules.order
vmlinux=$deb/dbg/usr/lib/debug/boot/vmlinux-$kver
for f in "$order" "$vmlinux"; do [ -f "$f" ] || { echo "debian-objtree: $f missing" >&2; exit 1; }; done

rm -rf "$obj" && mkdir -p "$obj/include/config"
echo "$kver" > "$obj/include/config/kernel.release"
# Debian's modules.order lists install paths (kernel/fs/isofs/isofs.ko); kbuild's lists objects
# relative to the objtree (fs/isofs/isofs.o).
sed -e 's|^kernel/||' -e 's|\.ko$|.o|' "$order" > "$obj/modules.order"
while read -r o; do
  ko=${o%.o}.ko
  [ -f "$dbgmods/kernel/$ko" ] || { echo "debian-objtree: $dbgmods/kernel/$ko missing" >&2; exit 1; }
  mkdir -p "$obj/$(dirname "$ko")"
  ln -s "$dbgmods/kernel/$ko" "$obj/$ko"
done < "$obj/modules.order"

head -c 36 /dev/zero > "$obj/.module_hashes.zero"
objcopy --add-section .module_hashes="$obj/.module_hashes.zero" \
  --set-section-flags .module_hashes=contents,readonly "$vmlinux" "$obj/vmlinux.unstripped"
rm -f "$obj/.module_hashes.zero"
touch "$obj/.complete"
echo "$obj"
