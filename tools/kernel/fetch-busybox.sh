#!/usr/bin/env bash
# Prints the path of a static busybox for ARCH (uname -m style: aarch64, s390x, ...; or a Debian
# architecture name), for the initramfs of tools/kernel/boot.sh. The host's own is /bin/busybox
# (busybox-static); another architecture's is Debian's busybox-static:<arch>, fetched once with
# `apt-get download` (dpkg --add-architecture the first time) and unpacked with dpkg-deb -x into
# ${ELFHASH_CACHE:-~/.cache/elfhash}/busybox/<debian arch>/.
# usage: fetch-busybox.sh ARCH
set -euo pipefail
arch=${1:?usage: fetch-busybox.sh ARCH}
case $arch in
  x86_64|amd64) deb=amd64 ;; aarch64|arm64) deb=arm64 ;; s390x) deb=s390x ;; ppc64le|ppc64el) deb=ppc64el ;;
  armhf|arm) deb=armhf ;; i386|i686) deb=i386 ;; mips64el) deb=mips64el ;;
  *) echo "fetch-busybox.sh: unknown architecture $arch" >&2; exit 2 ;;
esac
if [ "$deb" = "$(dpkg --print-architecture)" ]; then echo /bin/busybox; exit 0; fi
dir=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/busybox/$deb
bb=$dir/bin/busybox
if [ ! -x "$bb" ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  if ! grep -qx "$deb" <(dpkg --print-foreign-architectures); then
    $SUDO dpkg --add-architecture "$deb"
    $SUDO apt-get update -qq >&2
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-busybox.XXXXXX")
  chown _apt "$tmp" 2>/dev/null || true   # apt-get download fetches as the _apt user
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "busybox-static:$deb" >&2) ||
    { $SUDO apt-get update -qq >&2; (cd "$tmp" && apt-get download -qq "busybox-static:$deb" >&2); }
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
  mkdir -p "$dir/bin"
  cp "$tmp/x/bin/busybox" "$bb.tmp.$$" && mv "$bb.tmp.$$" "$bb"
fi
echo "$bb"
