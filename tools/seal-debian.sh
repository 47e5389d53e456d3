#!/usr/bin/env bash
# The main job, end to end, on a real kernel (README): Debian's current cloud-amd64 kernel.
#   1. installs what is missing (tools/setup.sh) and builds elfhash with Bazel (-c opt);
#   2. downloads linux-image-<ver>-cloud-amd64-dbg and -unsigned with apt-get (cached in
#      ${ELFHASH_CACHE:-~/.cache/elfhash}) and lays them out as a kbuild objtree
#      (tools/kernel/seal-objtree.sh: vmlinux.unstripped with a .module_hashes placeholder,
#      modules.order, the unstripped .ko);
#   3. `elfhash seal` strips every module once, builds the Merkle tree over the installed bytes,
#      writes STAGING/lib/modules/<release>/kernel/**.ko (stripped + proof trailer) and
#      STAGING/vmlinux (kbuild's final objcopy with .module_hashes filled in), in one process;
#   4. boots STAGING/vmlinux (ELF, PVH entry) under qemu TCG and insmods 85 sealed modules (their
#      per-module lines go to STAGING/boot.txt, the console to STAGING/boot.log; one line here);
#   5. audits the installed tree: `elfhash verify --kernel STAGING/vmlinux STAGING/lib/modules/R`
#      checks every module as the kernel would, and modules.order against what is installed.
# usage: tools/seal-debian.sh [--flavour F] [STAGING]     (default: $ELFHASH_CACHE/sealed/<release>)
#   --flavour F  the amd64 kernel flavour: cloud-amd64 (default; 1121 modules, what CI runs) or
#                amd64 (Debian's generic kernel: about 4000 modules, 5.6 GB unpacked, a 860 MB
#                download; not run by CI). Same steps, same checks.
set -euo pipefail
flavour=cloud-amd64
if [ "${1:-}" = --flavour ]; then flavour=${2:?usage: seal-debian.sh [--flavour F] [STAGING]}; shift 2; fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash tools/setup.sh
log=$(mktemp)
bazel build -c opt //tools:elfhash > "$log" 2>&1 || { cat "$log" >&2; echo "seal-debian: build failed" >&2; exit 1; }
rm -f "$log"
elfhash=$root/bazel-bin/tools/elfhash

deb=$(bash tools/kernel/fetch-debian.sh amd64 "$flavour")
kver=$(cat "$deb/kver")
cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}
obj=$cache/objtree/$kver
if [ ! -f "$obj/.complete" ]; then
  rm -rf "$obj" && ELFHASH=$elfhash bash tools/kernel/seal-objtree.sh "$obj" "$deb" && touch "$obj/.complete"
fi
staging=${1:-$cache/sealed/$kver}
rm -rf "$staging"

echo "== elfhash seal --objtree $obj --out $staging --install-mod-strip=1"
/usr/bin/time -f "   %e s wall, %M KiB peak RSS" "$elfhash" seal --objtree "$obj" --out "$staging" --install-mod-strip=1

echo "== boot $staging/vmlinux (PVH, qemu TCG) and insmod the sealed modules"
mapfile -t load < <(bash tools/kernel/pick-modules.sh --debian "$deb")
rc=0
bash tools/kernel/boot.sh --kernel "$staging/vmlinux" --modules-dir "$staging/lib/modules/$kver" \
  --load "${load[*]}" --log "$staging/boot.log" > "$staging/boot.txt" || rc=$?
KTEST_NAME=seal-debian . tools/tests/kernel_lib.sh
echo "   $(boot_summary "$staging/boot.txt")"
ok=$(grep -c '^ELFHASH-INSMOD [^ ]* ok' "$staging/boot.txt" || true)
bad=$(grep -c '^ELFHASH-INSMOD [^ ]* fail' "$staging/boot.txt" || true)

# The audit of what was installed, as an auditor would run it on the installed system.
echo "== elfhash verify --kernel $staging/vmlinux $staging/lib/modules/$kver"
vrc=0
"$elfhash" verify --kernel "$staging/vmlinux" "$staging/lib/modules/$kver" > "$staging/verify.txt" || vrc=$?
sed 's/^/   /' "$staging/verify.txt" | tail -n 6
echo "== $ok sealed modules loaded, $bad refused; audit: $(tail -1 "$staging/verify.txt"); staging tree: $staging"
[ "$rc" -le 1 ] && [ "$bad" = 0 ] && [ "$ok" -gt 0 ] && [ "$vrc" = 0 ]
