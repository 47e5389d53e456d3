#!/usr/bin/env bash
# Fetches one of Debian's current 6.1 kernels (-dbg: unstripped vmlinux + .ko; the image package:
# vmlinuz + the modules Debian shipped) into a cache outside the repository and unpacks it once.
# Prints the unpacked directory ($cache/debian/<kver>) on stdout. Reuses the cache when the version
# is unchanged.
# usage: fetch-debian.sh [ARCH [FLAVOUR]]   (default: amd64 cloud-amd64)
#   ARCH      a Debian architecture (amd64 arm64 armhf i386 ppc64el s390x mips64el ...); a foreign one
#             is added with `dpkg --add-architecture` (and apt-get update) the first time.
#   FLAVOUR   the kernel flavour (cloud-amd64, cloud-arm64, armmp, 686-pae, powerpc64le, s390x,
#             loongson-3, ...); default: the one tools/kernel/arches.txt lists for ARCH.
#   ELFHASH_CACHE   cache root (default ~/.cache/elfhash)
#   ELFHASH_KVER    kernel ABI name to use instead of the meta-package's (e.g. 6.1.0-56-cloud-amd64)
#   FETCH_DBG=0     fetch only the image package (small): vmlinux checks then need the -dbg later
# The image package is linux-image-<kver>-unsigned where Debian builds one (amd64, arm64, i386: the
# signed package's modules are the same bytes plus a PKCS#7 trailer), else linux-image-<kver>; it is
# always unpacked to $dir/unsigned. From the -dbg package only vmlinux and the .ko files are unpacked.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}
arch=${1:-amd64}
flavour=${2:-$(awk -v a="$arch" '$1 == a {print $2; exit}' "$here/arches.txt")}
[ -n "$flavour" ] || { echo "fetch-debian: no flavour for $arch (tools/kernel/arches.txt)" >&2; exit 2; }
native=$(dpkg --print-architecture)
q=; [ "$arch" = "$native" ] || q=":$arch"
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ -n "$q" ] && ! grep -qx "$arch" <(dpkg --print-foreign-architectures); then
  $SUDO dpkg --add-architecture "$arch"
  $SUDO apt-get update -qq >&2
fi
resolve() { apt-cache depends "linux-image-$flavour$q" 2>/dev/null |
            awk '!done && /Depends: linux-image-[0-9]/{sub("linux-image-","",$2); sub(":.*","",$2); print $2; done=1}'; }
kver=${ELFHASH_KVER:-}
if [ -z "$kver" ]; then
  kver=$(resolve)
  if [ -z "$kver" ]; then $SUDO apt-get update -qq >&2; kver=$(resolve); fi
fi
[ -n "$kver" ] || { echo "fetch-debian: cannot resolve linux-image-$flavour$q" >&2; exit 1; }
dir=$cache/debian/$kver
want_dbg=${FETCH_DBG:-1}
if [ -f "$dir/.complete" ] || { [ "$want_dbg" = 0 ] && [ -f "$dir/.image" ]; }; then echo "$dir"; exit 0; fi
mkdir -p "$dir/debs"
cd "$dir/debs"
image="linux-image-$kver-unsigned"
apt-cache show "$image$q" >/dev/null 2>&1 || image="linux-image-$kver"
get() { ls "$1"_*.deb >/dev/null 2>&1 || apt-get download "$1$q" >&2; }
get "$image"
if [ ! -f "$dir/.image" ]; then
  rm -rf "$dir/unsigned"
  dpkg-deb -x "$image"_*.deb "$dir/unsigned"
  echo "$kver" > "$dir/kver"
  echo "$arch" > "$dir/arch"
  touch "$dir/.image"
fi
[ "$want_dbg" = 0 ] && { echo "$dir"; exit 0; }
get "linux-image-$kver-dbg"
rm -rf "$dir/dbg"
mkdir -p "$dir/dbg"
# Only what the tests read: vmlinux and the modules (not the .build-id links or vdso objects).
dpkg-deb --fsys-tarfile "linux-image-$kver-dbg"_*.deb |
  tar -x -C "$dir/dbg" --wildcards "./usr/lib/debug/boot/vmlinux-$kver" "./usr/lib/debug/lib/modules/$kver/*.ko"
touch "$dir/.complete"
echo "$dir"
