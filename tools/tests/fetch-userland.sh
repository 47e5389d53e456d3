#!/usr/bin/env bash
# Prints a directory holding Debian 12's userland ELF files for ARCH (a Debian architecture: arm64,
# armhf, ppc64el, s390x, i386, mips64el, ...): the executables and shared objects of coreutils,
# bash, libc6, libstdc++6, libssl3, zlib1g and systemd, as Debian ships them. They are fetched once
# with `apt-get download` (dpkg --add-architecture the first time) and unpacked with dpkg-deb -x into
# ${ELFHASH_CACHE:-~/.cache/elfhash}/userland/<arch>/ (outside the repository). The input of
# tools/tests/distro_strip_parity.sh --arch: distro packaging on every architecture Debian ships.
# usage: fetch-userland.sh ARCH
set -euo pipefail
arch=${1:?usage: fetch-userland.sh ARCH}
packages=(coreutils bash libc6 libstdc++6 libssl3 zlib1g systemd)
dir=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/userland/$arch
if [ ! -e "$dir/.complete" ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  if [ "$arch" != "$(dpkg --print-architecture)" ] && ! grep -qx "$arch" <(dpkg --print-foreign-architectures); then
    $SUDO dpkg --add-architecture "$arch"
    $SUDO apt-get update -qq >&2
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-userland.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  chown _apt "$tmp" 2>/dev/null || true   # apt-get download fetches as the _apt user
  names=("${packages[@]/%/:$arch}")
  (cd "$tmp" && apt-get download -qq "${names[@]}" >&2) ||
    { $SUDO apt-get update -qq >&2; (cd "$tmp" && apt-get download -qq "${names[@]}" >&2); }
  rm -rf "$dir" && mkdir -p "$dir"
  for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$dir"; done
  ls "$tmp"/*.deb | xargs -n1 basename >"$dir/.complete"
fi
echo "$dir"
