#!/usr/bin/env bash
# Boots a Linux kernel under qemu (TCG, no KVM needed) with a busybox initramfs that insmods the
# given modules in order and reports each result. See docs/kernel-tests.md.
#
# usage: boot.sh --kernel VMLINUZ_OR_ELF_VMLINUX --modules-dir DIR --load "m1 m2 ..."
#                [--arch ARCH] [--append "ARGS"] [--timeout S] [--log FILE] [--memory MB]
#                [--qemu-arg ARG]...
#
#   --arch         x86_64 (default: qemu-system-x86_64 -machine pc, console ttyS0), aarch64
#                  (qemu-system-aarch64 -machine virt -cpu max, PL011 console ttyAMA0) or s390x
#                  (qemu-system-s390x -machine s390-ccw-virtio, SCLP console ttysclp0); all TCG.
#                  The initramfs gets that architecture's busybox-static (tools/kernel/fetch-busybox.sh).
#   --kernel       a bzImage (vmlinuz) or an ELF vmlinux; qemu boots an ELF vmlinux through its
#                  Xen PVH entry note (kernel built with CONFIG_PVH=y). aarch64: an Image or
#                  Image.gz (Debian's vmlinuz); s390x: Debian's vmlinuz.
#   --modules-dir  directory the --load entries are relative to: a lib/modules/<kver> tree, a flat
#                  directory, anything. Only the listed files go into the initramfs.
#   --load         modules in load order. Each entry is a path relative to DIR (or absolute), e.g.
#                  kernel/fs/isofs/isofs.ko; an entry without '/' that is not a file in DIR is looked
#                  up as <entry>.ko (or <entry>) anywhere below DIR. The reported name is the file's
#                  basename without .ko. Nothing resolves dependencies: list them first.
#   --append       extra kernel command line (added after console=ttyS0 ...).
#   --timeout      seconds before qemu is killed (default 300).
#   --log          keep the whole serial console log in FILE.
#
# stdout: only the ELFHASH-* lines the guest prints:
#   ELFHASH-START <uname -r> uptime=<s>
#   ELFHASH-INSMOD <name> ok | ELFHASH-INSMOD <name> fail <insmod stderr> | kernel: <dmesg>
#   ELFHASH-LOADTIME <s> taint=<n>
#   ELFHASH-DONE
# exit: 0 all modules loaded, 1 some module failed, 2 usage/bad input, 3 the boot did not reach
#       ELFHASH-DONE (timeout, panic, qemu error; the console tail is printed on stderr).
#
# env: ELFHASH_CACHE (default ~/.cache/elfhash) keeps the busybox part of the initramfs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "boot.sh: $*" >&2; exit 2; }
kernel='' moddir='' load='' append='' timeout_s=300 log='' mem=1024 arch=x86_64
qemu_extra=()
while (($#)); do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --kernel) kernel=${2:?}; shift 2 ;;
    --modules-dir) moddir=${2:?}; shift 2 ;;
    --load) load=${2?}; shift 2 ;;
    --append) append=${2?}; shift 2 ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    --log) log=${2:?}; shift 2 ;;
    --memory) mem=${2:?}; shift 2 ;;
    --qemu-arg) qemu_extra+=("${2:?}"); shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$kernel" ] || die "--kernel is required"
[ -f "$kernel" ] || die "$kernel: no such file"
[ -n "$moddir" ] || [ -z "$load" ] || die "--modules-dir is required with --load"
[ -z "$moddir" ] || [ -d "$moddir" ] || die "$moddir: not a directory"
# The machine of each architecture: qemu binary, its arguments, the console device.
case $arch in
  x86_64) qemu=(qemu-system-x86_64 -accel tcg -machine pc -serial stdio); console_dev=ttyS0 ;;
  aarch64) qemu=(qemu-system-aarch64 -accel tcg -machine virt -cpu max -serial stdio); console_dev=ttyAMA0 ;;
  s390x) qemu=(qemu-system-s390x -accel tcg -machine s390-ccw-virtio -cpu max
               -chardev stdio,id=con0 -device sclpconsole,chardev=con0); console_dev=ttysclp0 ;;
  *) die "--arch $arch: one of x86_64, aarch64, s390x" ;;
esac
for t in "${qemu[0]}" cpio gzip readelf; do command -v "$t" >/dev/null || die "$t not installed (tools/setup.sh)"; done
if [ "$arch" = "$(uname -m)" ]; then
  busybox=/bin/busybox
else
  busybox=$(bash "$here/fetch-busybox.sh" "$arch") || die "no busybox-static for $arch"
fi
if [ ! -x "$busybox" ] || readelf -lW "$busybox" 2>/dev/null | grep INTERP >/dev/null; then
  die "$busybox is not a static busybox (install busybox-static)"
fi

cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/initramfs
mkdir -p "$cache"
work=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT

# newc archive of the directory $1 into $2, reproducible (owner 0:0, sorted names).
mkcpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet --reproducible -o -H newc -R 0:0) > "$2"; }

# Busybox part: depends only on busybox and init.sh, so it is cached under their hash (and, for
# the other architectures, their name: base-<arch>-<key>; keys have no '-').
key=$(cat "$busybox" "$here/init.sh" | sha256sum | cut -c1-16)
tag=$key; [ "$arch" = x86_64 ] || tag=$arch-$key
base=$cache/base-$tag.cpio.gz
# Used through a private copy: a concurrent run may replace the cached one.
if ! cp "$base" "$work/base.cpio.gz" 2>/dev/null; then
  b=$work/base
  mkdir -p "$b/bin" "$b/etc" "$b/proc" "$b/sys" "$b/dev" "$b/tmp" "$b/root"
  cp "$busybox" "$b/bin/busybox"
  # A foreign busybox cannot run here: the host's busybox-static (the same Debian version) lists
  # the applets.
  for app in $(/bin/busybox --list); do [ "$app" = busybox ] || ln -s busybox "$b/bin/$app"; done
  install -m 0755 "$here/init.sh" "$b/init"
  mkcpio "$b" "$work/base.cpio"
  gzip -n -1 < "$work/base.cpio" > "$work/base.cpio.gz"
  cp "$work/base.cpio.gz" "$base.tmp.$$" && mv "$base.tmp.$$" "$base"
  # Older bases of this architecture (from an earlier init.sh or busybox) are never used again.
  if [ "$arch" = x86_64 ]; then old='base-*.cpio.gz' keep='base-*-*.cpio.gz'; else old="base-$arch-*.cpio.gz" keep=none; fi
  find "$cache" -maxdepth 1 -name "$old" ! -name "$keep" ! -name "base-$tag.cpio.gz" -delete
fi
base=$work/base.cpio.gz

# Module part: uncompressed (modules are large and change every run; the kernel unpacks a
# concatenation of compressed and plain newc archives).
m=$work/mods
mkdir -p "$m/etc" "$m/m"
: > "$m/etc/elfhash-load"
i=0
for e in $load; do
  if [[ $e = /* ]]; then f=$e; else f=$moddir/$e; fi
  if [ ! -f "$f" ] && [[ $e != */* ]]; then
    f=$(find "$moddir" \( -name "$e.ko" -o -name "$e" \) -type f | LC_ALL=C sort | sed -n 1p)
  fi
  if [ -z "$f" ] || [ ! -f "$f" ]; then die "module $e not found in $moddir"; fi
  name=$(basename "$f" .ko)
  i=$((i + 1))
  dst=$(printf 'm/%03d-%s.ko' "$i" "$name")
  cp "$f" "$m/$dst"
  echo "$name /$dst" >> "$m/etc/elfhash-load"
done
mkcpio "$m" "$work/mods.cpio"
# The kernel looks for a following archive only at a 4-byte aligned offset; zero padding is skipped.
sz=$(stat -c %s "$base")
{ cat "$base"; head -c $(( (4 - sz % 4) % 4 )) /dev/zero; cat "$work/mods.cpio"; } > "$work/initramfs"

console=$work/console.log
[ -z "$log" ] || console=$log
# panic=-1 + -no-reboot: a panic ends qemu at once instead of waiting for the timeout.
cmdline="console=$console_dev panic=-1 $append"
set +e
timeout --kill-after=5 "$timeout_s" "${qemu[@]}" -m "$mem" \
  -nographic -no-reboot -nodefaults -monitor none \
  -kernel "$kernel" -initrd "$work/initramfs" -append "$cmdline" \
  "${qemu_extra[@]}" < /dev/null > "$console" 2> "$work/qemu.err"
qrc=$?
set -e
tr -d '\r' < "$console" | grep -ao 'ELFHASH-.*' || true
if ! tr -d '\r' < "$console" | grep -a '^ELFHASH-DONE' >/dev/null; then
  if [ $qrc = 124 ] || [ $qrc = 137 ]; then echo "boot.sh: timeout after ${timeout_s}s" >&2
  else echo "boot.sh: qemu exited $qrc before ELFHASH-DONE" >&2; fi
  sed 's/^/boot.sh: qemu: /' "$work/qemu.err" >&2
  echo "boot.sh: console tail:" >&2
  tr -d '\r' < "$console" | tail -n 25 | sed 's/^/  /' >&2
  exit 3
fi
if tr -d '\r' < "$console" | grep -a 'ELFHASH-INSMOD [^ ]* fail' >/dev/null; then exit 1; fi
exit 0
