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
#   4. `elfhash verify` checks every installed module against STAGING/vmlinux as the kernel would;
#   5. boots STAGING/vmlinux (ELF, PVH entry) under qemu TCG and insmods 85 sealed modules.
# usage: tools/seal-debian.sh [STAGING]     (default: $ELFHASH_CACHE/sealed/<release>)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash tools/setup.sh
log=$(mktemp)
bazel build -c opt //tools:elfhash > "$log" 2>&1 || { cat "$log" >&2; echo "seal-debian: build failed" >&2; exit 1; }
rm -f "$log"
elfhash=$root/bazel-bin/tools/elfhash

deb=$(bash tools/kernel/fetch-debian.sh)
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

echo "== elfhash verify --vmlinux $staging/vmlinux (every installed module)"
mapfile -t installed < <(cd "$staging/lib/modules/$kver" && find kernel -name '*.ko' | LC_ALL=C sort)
(cd "$staging/lib/modules/$kver" && "$elfhash" verify --vmlinux "$staging/vmlinux" "${installed[@]}") > "$staging/verify.txt" || {
  grep -v ': ok$' "$staging/verify.txt" | sed -n 1,10p; echo "seal-debian: verify failed" >&2; exit 1; }
echo "   ${#installed[@]} modules ok"

echo "== boot $staging/vmlinux (PVH, qemu TCG) and insmod the sealed modules"
mapfile -t load < <(bash tools/kernel/pick-modules.sh --debian "$deb")
bash tools/kernel/boot.sh --kernel "$staging/vmlinux" --modules-dir "$staging/lib/modules/$kver" \
  --load "${load[*]}" --log "$staging/boot.log" | tee "$staging/boot.txt"
ok=$(grep -c '^ELFHASH-INSMOD [^ ]* ok' "$staging/boot.txt" || true)
bad=$(grep -c '^ELFHASH-INSMOD [^ ]* fail' "$staging/boot.txt" || true)
echo "== $ok sealed modules loaded, $bad refused; staging tree: $staging"
[ "$bad" = 0 ] && [ "$ok" -gt 0 ]
