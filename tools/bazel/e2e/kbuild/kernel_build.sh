#!/usr/bin/env bash
# The action of kernel.bzl's kernel_build: one kbuild run from a source tarball (docs/bazel.md).
# usage: kernel_build.sh --tarball T --fragment F [--patch P]... --out DIR --modules-dir DIR
#                        [--module-out STEM.ko]...
# Paths are relative to the working directory (Bazel's execution root). The tree is unpacked and
# built in a private directory below $TMPDIR; -fdebug-prefix-map keeps that directory out of the
# DWARF, so the outputs do not depend on where the action ran.
set -euo pipefail
tarball='' fragment='' out='' moddir=''
patches=() module_outs=()
while (($#)); do
  case $1 in
    --tarball) tarball=$2 ;;
    --fragment) fragment=$2 ;;
    --patch) patches+=("$2") ;;
    --out) out=$2 ;;
    --modules-dir) moddir=$2 ;;
    --module-out) module_outs+=("$2") ;;
    *) echo "kernel_build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
here=$PWD
abs() { case $1 in /*) echo "$1" ;; *) echo "$here/$1" ;; esac; }
work=$(mktemp -d "${TMPDIR:-/tmp}/kernel_build.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/src log=$work/build.log
fail() { echo "kernel_build.sh: $1" >&2; tail -n 40 "$log" >&2; exit 1; }
mkdir -p "$src"
tar -xf "$(abs "$tarball")" -C "$src" --strip-components=1 > "$log" 2>&1 || fail "unpacking failed"
for p in ${patches[@]+"${patches[@]}"}; do
  patch -d "$src" -p1 --quiet --no-backup-if-mismatch < "$(abs "$p")" >> "$log" 2>&1 || fail "$p does not apply"
done
# The build identity kbuild writes into the image (as tools/kernel/build-test-kernel.sh sets it).
export KBUILD_BUILD_TIMESTAMP='2026-01-01 00:00:00 UTC' KBUILD_BUILD_USER=elfhash \
  KBUILD_BUILD_HOST=elfhash KBUILD_BUILD_VERSION=1 LC_ALL=C
mk() { make -C "$src" ARCH=x86_64 "$@" >> "$log" 2>&1; }
mk tinyconfig || fail "make tinyconfig failed"
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$(abs "$fragment")" >> "$log" 2>&1 \
  || fail "merging $fragment failed"
mk olddefconfig || fail "make olddefconfig failed"
lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$(abs "$fragment")" | while read -r line; do
  grep -qxF "$line" "$src/.config" || echo "$line"; done)
[ -z "$lost" ] || fail "options of $fragment lost by olddefconfig: $(echo $lost)"
map="-fdebug-prefix-map=$src=."
mk -j"$(nproc)" KCFLAGS="$map" KAFLAGS="$map" vmlinux modules || fail "make vmlinux modules failed"

mkdir -p "$out/include/config" "$moddir"
cp "$src/vmlinux.unstripped" "$src/modules.order" "$src/.config" "$out/"
cp "$src/include/config/kernel.release" "$out/include/config/"
while read -r m; do
  stem=${m%.o}
  mkdir -p "$moddir/$(dirname "$stem")"
  cp "$src/$stem.ko" "$moddir/$stem.ko" || fail "$m listed in modules.order but $stem.ko missing"
done < "$src/modules.order"
for m in ${module_outs[@]+"${module_outs[@]}"}; do
  mkdir -p "$out/$(dirname "$m")"
  cp "$src/$m" "$out/$m" || fail "module_outs: $m was not built"
done
