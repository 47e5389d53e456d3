#!/usr/bin/env bash
# Makes a kbuild-like objtree for `elfhash seal` from Debian's cloud kernel (used by
# tools/tests/kernel_seal_test.sh and tools/bench/seal.sh; docs/seal.md):
#   DIR/vmlinux.unstripped  the -dbg vmlinux plus a 36-byte zero .module_hashes section (what a
#                           CONFIG_MODULE_HASHES build links in, spec §4.2; Debian 6.1 has none)
#   DIR/modules.order       Debian's, in kbuild's objtree form ("fs/isofs/isofs.o")
#   DIR/<stem>.ko           symlinks to the unstripped -dbg modules
#   DIR/include/config/kernel.release
# usage: seal-objtree.sh DIR [DEBIAN_DIR]   (DEBIAN_DIR from fetch-debian.sh by default)
# env: ELFHASH (default bazel-bin/tools/elfhash) adds the section.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
obj=${1:?usage: seal-objtree.sh DIR [DEBIAN_DIR]}
deb=${2:-$(bash "$here/fetch-debian.sh")}
E=${ELFHASH:-$here/../../bazel-bin/tools/elfhash}
kver=$(cat "$deb/kver")
dbgmods=$deb/dbg/usr/lib/debug/lib/modules/$kver/kernel
mkdir -p "$obj/include/config"
head -c 36 /dev/zero > "$obj/.zero36"
"$E" objcopy --add-section .module_hashes="$obj/.zero36" "$deb/dbg/usr/lib/debug/boot/vmlinux-$kver" "$obj/vmlinux.unstripped"
rm -f "$obj/.zero36"
sed -e 's|^kernel/||' -e 's|\.ko$|.o|' "$deb/unsigned/lib/modules/$kver/modules.order" > "$obj/modules.order"
echo "$kver" > "$obj/include/config/kernel.release"
# One process for the 1121 links (a shell loop of mkdir/ln costs seconds on a loaded machine).
python3 - "$obj" "$dbgmods" <<'PY'
import os, sys
obj, dbg = sys.argv[1], sys.argv[2]
for line in open(os.path.join(obj, "modules.order")):
    stem = line.rstrip("\n")[:-2]
    os.makedirs(os.path.dirname(os.path.join(obj, stem)), exist_ok=True)
    link = os.path.join(obj, stem + ".ko")
    if not os.path.islink(link):
        os.symlink(os.path.join(dbg, stem + ".ko"), link)
PY
