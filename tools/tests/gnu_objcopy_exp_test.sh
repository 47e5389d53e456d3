#!/usr/bin/env bash
# GNU's own judge: binutils 2.40's binutils/testsuite/binutils-all/objcopy.exp run with OBJCOPY and
# STRIP set to elfhash's multi-call links. The testsuite is built once from Debian's binutils-source
# into the cache (outside the repo); the run is compared with tools/tests/gnu_objcopy_exp.expected, a
# ratchet: every test listed there must PASS (a listed test that fails fails this script); a test that
# passes but is not listed is reported so the list can grow.
#   usage: gnu_objcopy_exp_test.sh [--build-only]
#   ELFHASH=path/to/elfhash (default bazel-bin/tools/elfhash), ELFHASH_CACHE (default ~/.cache/elfhash)
# Fresh cost: ~25 min of `make -j2 all-binutils all-gas all-ld` (2 cores); cached: ~1 min for the run.
set -uo pipefail
KTEST_NAME=gnu_objcopy_exp
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernel_lib.sh"
E=${ELFHASH:-$here/../../bazel-bin/tools/elfhash}
cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/binutils-2.40
src=$cache/binutils-2.40 build=$cache/build
expected=$here/gnu_objcopy_exp.expected

bash "$here/../setup.sh" binutils-source dejagnu texinfo bison flex zlib1g-dev libzstd-dev >&2 ||
  setup_fail "cannot install the testsuite's packages"
if [ ! -e "$build/.built" ]; then
  mkdir -p "$cache" && rm -rf "$src" "$build" &&
    tar -xJf /usr/src/binutils/binutils-2.40.tar.xz -C "$cache" && mkdir -p "$build" ||
    setup_fail "cannot unpack /usr/src/binutils/binutils-2.40.tar.xz"
  # The configure flags of the issue: only binutils, gas and ld are needed by objcopy.exp.
  (cd "$build" && nice -n 10 "$src/configure" --disable-gdb --disable-gdbserver --disable-sim \
      --disable-gprofng --disable-gold --disable-nls --disable-werror >configure.log 2>&1 &&
    nice -n 10 make -j2 all-binutils all-gas all-ld >make.log 2>&1) ||
    setup_fail "binutils build failed: see $build/make.log"
  touch "$build/.built"
fi
[ "${1:-}" = --build-only ] && exit 0

[ -x "$E" ] || setup_fail "no elfhash binary at $E (bazel build -c opt //tools:elfhash)"
links=$(mktemp -d)
trap 'rm -rf "$links"' EXIT
ln -s "$(readlink -f "$E")" "$links/objcopy" && ln -s "$(readlink -f "$E")" "$links/strip"
# The testsuite leaves its outputs under tmpdir/ of the build directory; a fresh copy of the state
# each run keeps runs independent.
rm -rf "$build/binutils/tmpdir" "$build/binutils/objcopy.sum"
(cd "$build" && make -C binutils check \
   RUNTESTFLAGS="objcopy.exp OBJCOPY=$links/objcopy STRIP=$links/strip" >"$links/check.log" 2>&1)
sum=$build/binutils/binutils.sum
[ -f "$sum" ] || setup_fail "no $sum: see the check log"
grep -E '^(PASS|FAIL|UNRESOLVED|UNSUPPORTED|UNTESTED|XFAIL|XPASS): ' "$sum" | sort -u >"$links/results"
echo "objcopy.exp with elfhash: $(grep -c '^PASS: ' "$links/results") pass," \
  "$(grep -c '^FAIL: ' "$links/results") fail, $(grep -c '^UNRESOLVED: ' "$links/results") unresolved"
while IFS= read -r t; do
  [ -z "$t" ] || [ "${t:0:1}" = '#' ] && continue
  grep -Fxq "PASS: $t" "$links/results"; check "objcopy.exp: $t" $?
done <"$expected"
grep '^PASS: ' "$links/results" | sed 's/^PASS: //' | grep -Fxv -f <(grep -v '^#' "$expected") |
  sed 's/^/NEW PASS (add to gnu_objcopy_exp.expected): /'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
