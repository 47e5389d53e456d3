#!/usr/bin/env bash
# Builds the elfhash test kernel: Debian's linux-source-6.12 with the project's module-hashes patch
# (tools/kernel/module-hashes/), tinyconfig + config.fragment, vmlinux and modules. See
# docs/test-kernel.md.
#
# usage: build-test-kernel.sh [-j N]
#
# stdout: one line, the objtree directory
#   ${ELFHASH_CACHE:-~/.cache/elfhash}/testkernel/<key>/
# holding vmlinux.unstripped (linked, relocations and DWARF kept, .module_hashes = 36 zero bytes),
# vmlinux (after the x86 postlink step; never boot it, its root is zero), the .ko files,
# modules.order and include/config/kernel.release. The build is an in-tree build, so the directory
# is also the source tree (headers and .cmd files, which the kbuild comparison in
# tools/tests/kernel_enforce_test.sh uses).
#
# <key> is a hash of everything that decides the result: the source package's version, the patch,
# the config fragment, this script, and the compiler and linker versions. An existing directory
# with that key is reused as it is; a half-built one (no .elfhash-complete) is built again.
# Installs linux-source-6.12 and the build dependencies with apt-get when they are missing.
#
# exit: 0 ok (directory printed), 2 usage, anything else: the build failed (log in
#       <dir>/build.log, tail on stderr).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "build-test-kernel.sh: $*" >&2; exit 2; }

jobs=$(nproc)
while (($#)); do
  case $1 in
    -j) jobs=${2:?}; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done

pkg=linux-source-6.12
tarball=/usr/src/linux-source-6.12.tar.xz
patchdir=$here/module-hashes
patches=("$patchdir"/0*.patch)
fragment=$patchdir/config.fragment
deps=("$pkg" flex bison bc libelf-dev libssl-dev gcc make binutils xz-utils patch)

bash "$here/../setup.sh" "${deps[@]}" >&2  # stdout is for the objtree path
[ -f "$tarball" ] || die "$tarball missing although $pkg is installed"

version=$(dpkg-query -W -f='${Version}' "$pkg")
key=$( { echo "$pkg $version"; cat "${patches[@]}" "$fragment" "$0";
         gcc --version | sed -n 1p; ld --version | sed -n 1p; } | sha256sum | cut -c1-16)
root=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/testkernel
dir=$root/$key
mkdir -p "$root"

# One builder per key; a second caller waits and then finds the finished tree.
exec 9> "$root/.lock-$key"
flock 9
if [ -f "$dir/.elfhash-complete" ]; then
  touch "$dir/.elfhash-complete"   # last use, for the pruning below
  echo "$dir"
  exit 0
fi

start=$(date +%s)
echo "build-test-kernel.sh: building $pkg $version into $dir (-j$jobs)" >&2
rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
fail() {
  echo "build-test-kernel.sh: $1 (log: $log)" >&2
  tail -n 30 "$log" | sed 's/^/  /' >&2
  exit 1
}
tar -xf "$tarball" -C "$dir" --strip-components=1 >> "$log" 2>&1 || fail "unpacking $tarball failed"
for p in "${patches[@]}"; do
  patch -d "$dir" -p1 --quiet --no-backup-if-mismatch < "$p" >> "$log" 2>&1 || fail "$(basename "$p") does not apply"
done

# Fixed build identity, so two builds of the same inputs agree as far as kbuild allows.
export KBUILD_BUILD_TIMESTAMP='2026-01-01 00:00:00 UTC' KBUILD_BUILD_USER=elfhash \
  KBUILD_BUILD_HOST=elfhash KBUILD_BUILD_VERSION=1 LC_ALL=C
mk() { make -C "$dir" ARCH=x86_64 "$@" >> "$log" 2>&1; }
mk tinyconfig || fail "make tinyconfig failed"
"$dir/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" "$fragment" >> "$log" 2>&1 \
  || fail "merging config.fragment failed"
mk olddefconfig || fail "make olddefconfig failed"
# Every option of the fragment must have survived (a missing dependency drops it silently).
lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while read -r line; do
  grep -qxF "$line" "$dir/.config" || echo "$line"; done)
[ -z "$lost" ] || fail "options of config.fragment lost by olddefconfig: $(echo $lost)"

mk -j"$jobs" vmlinux modules || fail "make vmlinux modules failed"

# The result must be what the tests rely on.
u=$dir/vmlinux.unstripped
[ -f "$u" ] || fail "no vmlinux.unstripped"
readelf -SW "$u" | grep ' \.module_hashes  *PROGBITS .* 000024 ' >/dev/null || fail ".module_hashes is not a 36-byte PROGBITS section"
readelf -SW "$u" | grep ' \.rela\.text ' >/dev/null || fail "vmlinux.unstripped has no .rela.text"
[ "$(objcopy -O binary --only-section=.module_hashes "$u" /dev/stdout | tr -d '\0' | wc -c)" = 0 ] \
  || fail ".module_hashes placeholder is not all zero"
n=$(wc -l < "$dir/modules.order")
[ "$n" -ge 10 ] || fail "only $n modules"
while read -r m; do [ -f "$dir/${m%.o}.ko" ] || fail "$m listed but ${m%.o}.ko missing"; done < "$dir/modules.order"
[ -s "$dir/include/config/kernel.release" ] || fail "no include/config/kernel.release"

{ echo "package=$pkg $version"; echo "modules=$n"; echo "seconds=$(( $(date +%s) - start ))"; } \
  > "$dir/.elfhash-complete"
echo "build-test-kernel.sh: done in $(( $(date +%s) - start ))s, $n modules" >&2
# Trees of other inputs (about 3 GB each) unused for 3 days go, unless someone holds their lock.
for old in "$root"/*/; do
  k=$(basename "$old")
  [ "$k" != "$key" ] || continue
  [ -z "$(find "$old" -maxdepth 1 -name .elfhash-complete -mtime -3)" ] || continue
  ( flock -n 8 && rm -rf "$old" "$root/.lock-$k" ) 8> "$root/.lock-$k" || true
done
echo "$dir"
