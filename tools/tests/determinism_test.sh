#!/usr/bin/env bash
# Determinism is an invariant: the same bytes across runs, -j values, working directories, TZ, LANG,
# SOURCE_DATE_EPOCH and umask; strip is idempotent.
set -u
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$(runfile tools/tests/lib.sh)"
E=${ELFHASH:-$(runfile tools/elfhash)}
FX=$(runfile testdata)
T=${TEST_TMPDIR:-$(mktemp -d)}
cd "$T"
FILES=(x86_64-module.o x86_64-start.o cross-i386.o cross-armv7a.o cross-powerpc64.o cross-s390x.o cross-mips.o
       cross-powerpc.o vmlinux.unstripped)

strip_tree() {  # strip_tree DIR ENV... -- ARGS: copies the fixtures to DIR and strips them there
  local dir=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  rm -rf "$dir" && mkdir -p "$dir" && for f in "${FILES[@]}"; do cp "$FX/$f" "$dir/$f"; chmod u+w "$dir/$f"; done
  (cd "$dir" && env "${envs[@]}" "$E" strip "$@" "${FILES[@]}")
}
same_tree() { for f in "${FILES[@]}"; do cmp "$1/$f" "$2/$f" || return 1; done; }

check "reference run" strip_tree ref -- --strip-debug -j 1
check "second run identical" bash -c "$(declare -f strip_tree same_tree); FILES=(${FILES[*]}); E=$E FX=$FX; strip_tree r2 -- --strip-debug -j 1 && same_tree ref r2"
two_jobs() { strip_tree j2 -- --strip-debug -j 2 && same_tree ref j2; }
check "-j 2 identical to -j 1" two_jobs
many_jobs() { strip_tree j8 -- --strip-debug -j 8 && same_tree ref j8; }
check "-j 8 identical to -j 1" many_jobs
env_changes() {
  strip_tree envs TZ=Pacific/Kiritimati LANG=de_DE.UTF-8 LC_ALL=tr_TR.UTF-8 SOURCE_DATE_EPOCH=1 -- --strip-debug && same_tree ref envs
}
check "TZ/LANG/LC_ALL/SOURCE_DATE_EPOCH do not change bytes" env_changes
umask_change() { (umask 077 && strip_tree um -- --strip-debug) && same_tree ref um; }
check "umask does not change bytes" umask_change
cwd_change() {
  rm -rf cwd && mkdir -p cwd/deep/er && for f in "${FILES[@]}"; do cp "$FX/$f" cwd/$f; chmod u+w cwd/$f; done &&
    (cd cwd/deep/er && "$E" strip --strip-debug $(for f in "${FILES[@]}"; do echo ../../$f; done)) &&
    for f in "${FILES[@]}"; do cmp ref/$f cwd/$f || return 1; done
}
check "another working directory, relative paths" cwd_change
# Idempotence from the first fixed point (see objcopy_gnu_test.sh: GNU reorders clang's groups once).
idempotent() {
  rm -rf idem idem2 && cp -r ref idem && (cd idem && "$E" strip --strip-debug "${FILES[@]}") && cp -r idem idem2 &&
    (cd idem2 && "$E" strip --strip-debug "${FILES[@]}") && same_tree idem idem2
}
check "strip of stripped output is a no-op (idempotent)" idempotent
objcopy_idempotent() {
  "$E" objcopy "$FX/x86_64-module.o" once.o && "$E" objcopy once.o twice.o && "$E" objcopy twice.o thrice.o && cmp twice.o thrice.o
}
check "objcopy of objcopy output is identical" objcopy_idempotent
vmlinux_repeat() {
  "$E" objcopy -R '.rel*' -R '!.rel*.dyn' -w --strip-unneeded-symbol='__mod_device_table__*' "$FX/vmlinux.unstripped" v1 &&
    SOURCE_DATE_EPOCH=99 TZ=Asia/Kolkata "$E" objcopy -R '.rel*' -R '!.rel*.dyn' -w --strip-unneeded-symbol='__mod_device_table__*' "$FX/vmlinux.unstripped" v2 &&
    cmp v1 v2
}
check "vmlinux command repeatable across environments" vmlinux_repeat
finish
