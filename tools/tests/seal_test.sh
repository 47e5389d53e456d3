#!/usr/bin/env bash
# `elfhash seal` on a small objtree made at test time from the generated fixtures (docs/seal.md):
# the sealed tree verifies, every installed module is `elfhash strip` output + its proof, the vmlinux
# is `elfhash objcopy` (spec §5.1) + `elfhash patch`, the bytes do not depend on -j, cwd, TZ, LANG,
# SOURCE_DATE_EPOCH or umask, and every error leaves no STAGING output behind.
set -u
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$(runfile tools/tests/lib.sh)"
E=${ELFHASH:-$(runfile tools/elfhash)}
case $E in /*) ;; *) E=$PWD/$E ;; esac
FX=$(runfile testdata)
case $FX in /*) ;; *) FX=$PWD/$FX ;; esac
T=${TEST_TMPDIR:-$(mktemp -d)}
cd "$T" || exit 2
REL=6.1.0-elfhash-test
# modules.order stem -> fixture (three ELF flavours: x86-64 C++ with COMDAT/DWARF, i386 REL, ppc64 BE).
STEMS=(drivers/net/foo fs/bar/bar fs/bar/baz lib/qux)
SRCS=(x86_64-module.o cross-i386.o cross-powerpc64.o cross-s390x.o)
V51=(--remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' --remove-section='.rel.*'
     -w --strip-unneeded-symbol='__mod_device_table__*')

mkobj() {  # mkobj DIR: a kbuild-like objtree
  rm -rf "$1" && mkdir -p "$1/include/config" || return 1
  cp "$FX/vmlinux.unstripped" "$1/" && chmod u+w "$1/vmlinux.unstripped" || return 1
  : > "$1/modules.order"
  local i
  for i in "${!STEMS[@]}"; do
    mkdir -p "$1/$(dirname "${STEMS[$i]}")" && cp "$FX/${SRCS[$i]}" "$1/${STEMS[$i]}.ko" && chmod u+w "$1/${STEMS[$i]}.ko" || return 1
    echo "${STEMS[$i]}.o" >> "$1/modules.order"
  done
  echo "$REL" > "$1/include/config/kernel.release"
  printf 'kernel/fs/builtin.ko\n' > "$1/modules.builtin"
}
mods() { find "$1/lib/modules/$REL/kernel" -name '*.ko' | LC_ALL=C sort; }
# Bytes, names and modes of a whole tree (timestamps excluded).
tree_sum() { (cd "$1" && find . -printf '%y %m %p\n' | LC_ALL=C sort && find . -type f | LC_ALL=C sort | xargs sha256sum); }
levels() { "$E" verify --json --vmlinux "$1/vmlinux" "$(mods "$1" | sed -n 1p)" | sed -n 's/.*"levels": \([0-9]*\).*/\1/p'; }

mkobj obj
check "seal --install-mod-strip=1" "$E" seal --objtree obj --out ref --install-mod-strip=1 -j 1
check "verify --vmlinux accepts every installed module" bash -c "$(declare -f mods); REL=$REL; mods ref | xargs '$E' verify --vmlinux ref/vmlinux"
count_ok() { [ "$(mods ref | wc -l)" = "${#STEMS[@]}" ] && [ -x ref/vmlinux ] && [ -f ref/lib/modules/$REL/modules.order ]; }
check "layout: lib/modules/<release>/kernel/<stem>.ko for every module, vmlinux" count_ok
order_ok() { diff <(sed 's|^\(.*\)\.o$|kernel/\1.ko|' obj/modules.order) "ref/lib/modules/$REL/modules.order" && cmp obj/modules.builtin "ref/lib/modules/$REL/modules.builtin"; }
check "modules.order installed as kernel/<stem>.ko (modules_install form), modules.builtin copied" order_ok

# Every installed module minus its trailer is exactly `elfhash strip --strip-debug` of the input.
strip_ref() {  # strip_ref OPTS...: stripped copies of the inputs under sref/
  rm -rf sref && local s
  for s in "${STEMS[@]}"; do mkdir -p "sref/$(dirname "$s")" && "$E" strip "$@" -o "sref/$s.ko" "obj/$s.ko" || return 1; done
}
body_is() {  # body_is STAGING DIR: installed minus trailer == DIR/<stem>.ko
  local l t s; l=$(levels "$1"); t=$((44 + 32 * l))
  for s in "${STEMS[@]}"; do
    local f="$1/lib/modules/$REL/kernel/$s.ko"
    cmp <(head -c -$t "$f") "$2/$s.ko" || return 1
    [ "$(tail -c 28 "$f")" = "~Module signature appended~" ] || return 1
  done
}
check "installed module minus trailer == elfhash strip --strip-debug of the input" bash -c "$(declare -f strip_ref body_is levels mods); E=$E REL=$REL STEMS=(${STEMS[*]}); strip_ref --strip-debug && body_is ref sref"
vmlinux_ref() {
  strip_ref --strip-debug && "$E" objcopy "${V51[@]}" obj/vmlinux.unstripped v.ref &&
    "$E" patch v.ref --order obj/modules.order --suffix .ko --objtree sref && cmp v.ref ref/vmlinux
}
check "vmlinux == elfhash objcopy (spec 5.1 options) + elfhash patch" vmlinux_ref
one_objcopy() {
  strip_ref --strip-debug && "$E" tree --order obj/modules.order --suffix .ko --objtree sref --hashes-out mh.bin > /dev/null &&
    "$E" objcopy "${V51[@]}" --update-section .module_hashes=mh.bin obj/vmlinux.unstripped v.one && cmp v.one ref/vmlinux
}
check "vmlinux == one elfhash objcopy with --update-section of elfhash tree's .bin (docs/kbuild.md level 1)" one_objcopy
unpatched_differs() { "$E" objcopy "${V51[@]}" obj/vmlinux.unstripped v.zero && ! cmp -s v.zero ref/vmlinux; }
check "negative control: the unpatched objcopy output differs" unpatched_differs
gnu_vmlinux() { objcopy "${V51[@]}" obj/vmlinux.unstripped v.gnu && "$E" patch v.gnu --order obj/modules.order --suffix .ko --objtree sref && cmp v.gnu ref/vmlinux; }
check "vmlinux == GNU objcopy (spec 5.1) + patch" gnu_vmlinux

# Other strip settings.
nostrip() { "$E" seal --objtree obj --out ns && body_is ns obj; }
check "no --install-mod-strip: modules installed as built (+ proof)" nostrip
unneeded() { "$E" seal --objtree obj --out un --install-mod-strip='--strip-unneeded' && strip_ref --strip-unneeded && body_is un sref; }
check "--install-mod-strip='--strip-unneeded' == elfhash strip --strip-unneeded" unneeded
tampered() {
  "$E" seal --objtree obj --out tp --install-mod-strip=1 && local f; f=$(mods tp | sed -n 1p)
  python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(100); b = f.read(1); f.seek(100); f.write(bytes([b[0] ^ 0xff]))' "$f"
  "$E" verify --vmlinux tp/vmlinux "$f"; [ $? = 1 ]
}
check "negative control: a modified installed module fails verify" tampered

# Compression after the trailer (spec §5.3): the bytes xz/zstd produce from the uncompressed result.
compressed() {  # compressed xz|zstd SUFFIX CLI...
  local kind=$1 suf=$2; shift 2
  "$E" seal --objtree obj --out "c-$kind" --install-mod-strip=1 --compress "$kind" || return 1
  local f r
  for f in $(mods ref); do
    r=${f#ref/}
    cmp <("$@" -c "$f") "c-$kind/$r$suf" || return 1
  done
  [ -z "$(find "c-$kind" -name '*.ko')" ] && diff "ref/lib/modules/$REL/modules.order" "c-$kind/lib/modules/$REL/modules.order"
}
check "--compress xz == xz --check=crc32 --lzma2=dict=1MiB of the sealed module" compressed xz .xz xz --check=crc32 --lzma2=dict=1MiB
check "--compress zstd == zstd of the sealed module" compressed zstd .zst zstd -q
badcomp() { mkobj e0 && fails badcomp 'compress' --objtree e0 --compress gzip; }

# Determinism.
same_as_ref() { diff <(tree_sum ref) <(tree_sum "$1"); }
check "-j 2 identical to -j 1" bash -c "$(declare -f tree_sum same_as_ref); '$E' seal --objtree obj --out j2 --install-mod-strip=1 -j 2 && same_as_ref j2"
check "-j 7 identical to -j 1" bash -c "$(declare -f tree_sum same_as_ref); '$E' seal --objtree obj --out j7 --install-mod-strip=1 -j 7 && same_as_ref j7"
envs() { env TZ=Pacific/Kiritimati LANG=de_DE.UTF-8 LC_ALL=tr_TR.UTF-8 SOURCE_DATE_EPOCH=1 "$E" seal --objtree obj --out env --install-mod-strip=1 && same_as_ref env; }
check "TZ/LANG/LC_ALL/SOURCE_DATE_EPOCH do not change the tree" envs
um() { (umask 077 && "$E" seal --objtree obj --out um --install-mod-strip=1) && same_as_ref um; }
check "umask 077 does not change bytes or modes" um
um2() { (umask 000 && "$E" seal --objtree obj --out um2 --install-mod-strip=1) && same_as_ref um2; }
check "umask 000 does not change bytes or modes" um2
cwd() { mkdir -p deep/er && (cd deep/er && "$E" seal --objtree ../../obj --out ../../cwd --install-mod-strip 1) && same_as_ref cwd; }
check "another cwd, relative paths" cwd
abs() { "$E" seal --objtree "$T/obj" --out "$T/abs" --install-mod-strip=1 && same_as_ref abs; }
check "absolute paths" abs
rel_flag() { rm -f obj2 && cp -r obj obj2 && rm obj2/include/config/kernel.release && "$E" seal --objtree obj2 --out kr --install-mod-strip=1 --kernel-release "$REL" && same_as_ref kr; }
check "--kernel-release gives the same tree as include/config/kernel.release" rel_flag

# Publishing into an existing directory.
empty_dir() { mkdir empty && "$E" seal --objtree obj --out empty --install-mod-strip=1 && same_as_ref empty; }
check "an existing empty STAGING is filled" empty_dir
merge() {
  mkdir -p merge/lib/modules/$REL/kernel/stale merge/etc && echo keep > merge/etc/keep && echo old > merge/lib/modules/$REL/kernel/stale/old.ko &&
    "$E" seal --objtree obj --out merge --install-mod-strip=1 && [ "$(cat merge/etc/keep)" = keep ] &&
    [ ! -e merge/lib/modules/$REL/kernel/stale ] && cmp merge/vmlinux ref/vmlinux &&
    diff <(cd merge/lib && find . -type f | sort | xargs sha256sum) <(cd ref/lib && find . -type f | sort | xargs sha256sum)
}
check "a non-empty STAGING: lib/modules/<release> and vmlinux replaced, other files kept" merge
json() { "$E" seal --objtree obj --out js --install-mod-strip=1 --json > js.out && python3 -c '
import json,sys; d=json.load(open("js.out")); assert d["modules"] == 4 and d["levels"] == 2 and d["release"] == sys.argv[1] and len(d["root"]) == 64, d' "$REL"; }
check "--json summary on stdout" json

# Errors: exit 2, one line naming the problem, no STAGING (and no temporary directory) left behind.
fails() {  # fails NAME PATTERN SEAL-ARGS...: seal must exit 2 with PATTERN on stderr and leave nothing
  local name=$1 pat=$2; shift 2
  rm -rf "out-$name"
  "$E" seal --out "out-$name" "$@" 2> "err-$name"; local rc=$?
  [ $rc = 2 ] || { echo "exit $rc"; cat "err-$name"; return 1; }
  [ "$(wc -l < "err-$name")" = 1 ] || { cat "err-$name"; return 1; }
  grep -q -- "$pat" "err-$name" || { cat "err-$name"; return 1; }
  [ ! -e "out-$name" ] || { echo "out-$name exists"; return 1; }
  [ -z "$(find . -maxdepth 1 -name ".out-$name.elfhash-seal-*")" ] || { echo "temporary directory left"; return 1; }
}
nohashes() { mkobj e1 && objcopy --rename-section .module_hashes=.not_module_hashes e1/vmlinux.unstripped && fails nohashes 'no .module_hashes section' --objtree e1 --install-mod-strip=1; }
check "error: vmlinux.unstripped without .module_hashes (no CONFIG_MODULE_HASHES)" nohashes
missing() { mkobj e2 && rm e2/fs/bar/baz.ko && fails missing 'fs/bar/baz.ko: module listed on line 3 of modules.order is missing' --objtree e2 --install-mod-strip=1; }
check "error: module in modules.order missing" missing
signed() { mkobj e3 && printf '~Module signature appended~\n' >> e3/lib/qux.ko && fails signed 'already ends in' --objtree e3 --install-mod-strip=1; }
check "error: module already carries a trailer" signed
signed_nostrip() { mkobj e4 && printf '~Module signature appended~\n' >> e4/lib/qux.ko && fails signed_nostrip 'already ends in' --objtree e4; }
check "error: module already carries a trailer (no strip)" signed_nostrip
dup() { mkobj e5 && echo fs/bar/bar.o >> e5/modules.order && fails dup 'listed twice' --objtree e5; }
check "error: a module listed twice" dup
escape() { mkobj e6 && echo ../evil.o >> e6/modules.order && fails escape "'..'" --objtree e6; }
check "error: modules.order entry escaping the tree" escape
norel() { mkobj e7 && rm e7/include/config/kernel.release && fails norel 'no kernel release' --objtree e7; }
check "error: no release anywhere (fixture has no banner)" norel
badrel() { mkobj e8 && fails badrel 'cannot name a directory' --objtree e8 --kernel-release a/b; }
check "error: --kernel-release with '/'" badrel
notelf() { mkobj e9 && echo junk > e9/fs/bar/bar.ko && fails notelf 'fs/bar/bar.ko' --objtree e9 --install-mod-strip=1; }
check "error: a module that is not ELF (with strip)" notelf
badstrip() { mkobj e10 && fails badstrip 'install-mod-strip' --objtree e10 --install-mod-strip='--frobnicate'; }
check "error: unknown strip option" badstrip
check "error: --compress gzip (unsupported)" badcomp
noorder() { mkobj e11 && rm e11/modules.order && fails noorder 'modules.order' --objtree e11; }
check "error: no modules.order" noorder
# Peak memory does not grow with the number of modules: each is written as soon as it is stripped and
# hashed, and only its digest is kept (docs/seal.md, "Memory"). N stems link to one module carrying
# 8 MiB of kept (non-debug) bytes. Holding them all (as seal did before: 212 MB for 24) grows the peak
# by 8 MiB a module; streaming keeps it at the modules in flight (2 workers). The assertion is on the
# growth from 6 to 24 modules (144 MiB more installed), so it holds for the ASan build too, whose
# shadow memory raises the base; ASan's quarantine, which keeps freed blocks, is turned off for it.
seal_peak_kib() {  # seal_peak_kib N: peak RSS (KiB) of sealing N stems
  local d=big$1 i
  mkobj "$d" && rm -f "$d"/drivers/net/foo.ko "$d"/fs/bar/*.ko "$d"/lib/qux.ko || return 1
  "$E" objcopy --add-section .big=big.blob "$FX/x86_64-module.o" "$d/one.ko" || return 1
  : > "$d/modules.order"
  for i in $(seq 1 "$1"); do ln -s ../one.ko "$d/drivers/m$i.ko" && echo "drivers/m$i.o" >> "$d/modules.order" || return 1; done
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$E" seal --objtree "$d" --out "${d}st" --install-mod-strip=1 -j 2
}
many() {
  head -c 8388608 /dev/urandom > big.blob || return 1
  local k6 k24
  k6=$(seal_peak_kib 6) && k24=$(seal_peak_kib 24) || return 1
  echo "peak RSS $k6 KiB for 6 x 8 MiB, $k24 KiB for 24 x 8 MiB installed"
  [ $((k24 - k6)) -lt 32768 ] && "$E" verify --vmlinux big24st/vmlinux big24st/lib/modules/$REL/kernel/drivers/m24.ko > /dev/null
}
check "memory: 24 modules x 8 MiB need less than 32 MiB more peak RSS than 6 (no module held after it is written)" many
rm -rf big.blob big6 big6st big24 big24st
finish
