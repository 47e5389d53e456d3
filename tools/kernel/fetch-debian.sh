#!/usr/bin/env bash
# Fetches Debian's current cloud-amd64 kernel (-dbg: unstripped vmlinux + .ko; -unsigned: vmlinuz +
# Debian-signed .ko) into a cache outside the repository and unpacks it once.
# Prints the unpacked directory on stdout. Reuses the cache when the version is unchanged.
#   ELFHASH_CACHE   cache root (default ~/.cache/elfhash)
#   ELFHASH_KVER    kernel ABI name to use instead of the meta-package's (e.g. 6.1.0-56-cloud-amd64)
set -euo pipefail
cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}
kver=${ELFHASH_KVER:-}
if [ -z "$kver" ]; then
  kver=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '!done && /Depends: linux-image-[0-9]/{sub("linux-image-","",$2); print $2; done=1}')
  if [ -z "$kver" ]; then apt-get update -qq >&2; kver=$(apt-cache depends linux-image-cloud-amd64 | awk '!done && /Depends: linux-image-[0-9]/{sub("linux-image-","",$2); print $2; done=1}'); fi
fi
[ -n "$kver" ] || { echo "fetch-debian: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
dir=$cache/debian/$kver
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
mkdir -p "$dir/debs"
cd "$dir/debs"
for p in "linux-image-$kver-dbg" "linux-image-$kver-unsigned"; do
  ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p" >&2
done
rm -rf "$dir/dbg" "$dir/unsigned"
dpkg-deb -x linux-image-"$kver"-dbg_*.deb "$dir/dbg"
dpkg-deb -x linux-image-"$kver"-unsigned_*.deb "$dir/unsigned"
echo "$kver" > "$dir/kver"
touch "$dir/.complete"
echo "$dir"
