#!/usr/bin/env bash
# Shell-level checks of the merkle commands (docs/merkle-commands.md): --help, error lines and exit
# codes, JSON output, and the kbuild-equivalent pipeline tree -> sign -> verify on a small objtree.
set -euo pipefail
exe=$(cd "$(dirname "$0")/.." && pwd)/tools/elfhash
[ -x "$exe" ] || exe=$TEST_SRCDIR/$TEST_WORKSPACE/tools/elfhash
t=$(mktemp -d "${TEST_TMPDIR:-/tmp}/cmds.XXXXXX")
cd "$t"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() {  # expect_rc RC CMD...
  local want=$1; shift
  set +e; "$@" > out.txt 2> err.txt; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat out.txt err.txt >&2; fail "'$*' exited $rc, expected $want"; }
}

for c in tree patch sign verify modules-merkle-tree; do
  expect_rc 0 "$exe" "$c" --help
  grep -q "^usage: elfhash $c" out.txt || fail "$c --help prints no usage"
done
expect_rc 2 "$exe" tree --order modules.order
grep -q "^elfhash: tree: --suffix is required" err.txt || fail "tree without --suffix: $(cat err.txt)"
expect_rc 2 "$exe" tree --suffix .ko --bogus
grep -q "unknown option --bogus" err.txt || fail "unknown option not reported"
expect_rc 2 "$exe" tree --suffix .ko -j 0

mkdir -p obj/drivers/net obj/fs
printf 'drivers/net/a.o\nfs/b.o\ndrivers/net/c.o\nfs/d.o\nfs/e.o\n' > obj/modules.order
for m in drivers/net/a fs/b drivers/net/c fs/d fs/e; do printf '\177ELF %s' "$m" > "obj/$m.ko"; done

# Missing module: one "elfhash: FILE: message" line, status 2, and no output files.
mv obj/fs/d.ko obj/fs/d.away
expect_rc 2 "$exe" tree --objtree obj --suffix .ko --hashes-out h.bin --proofs-out proofs
grep -q "^elfhash: obj/fs/d.ko: open: No such file or directory$" err.txt || fail "missing module: $(cat err.txt)"
[ ! -e h.bin ] && [ ! -e proofs ] || fail "outputs written after a failure"
mv obj/fs/d.away obj/fs/d.ko

expect_rc 0 "$exe" tree --objtree obj --suffix .ko --hashes-out h.bin --proofs-out proofs --json -j 3
python3 -c 'import json,sys; d=json.load(open("out.txt")); assert d["modules"]==5 and d["levels"]==3, d' \
  || fail "tree --json: $(cat out.txt)"
[ "$(stat -c %s h.bin)" = 36 ] || fail "h.bin is not 36 bytes"
[ "$(od -An -tx1 -N4 h.bin | tr -d ' ')" = 03000000 ] || fail "levels not little-endian 3"
[ "$(stat -c %s proofs/fs/e.merkle)" = $((44 + 32 * 3)) ] || fail "proof size"
# The native form and the drop-in agree byte for byte.
(cd obj && "$exe" modules-merkle-tree .tmp_module_hashes.c .ko)
for m in drivers/net/a fs/b drivers/net/c fs/d fs/e; do
  cmp "proofs/$m.merkle" "obj/$m.merkle" || fail "proof of $m differs between tree and modules-merkle-tree"
done
grep -q "^	.levels = 3,$" obj/.tmp_module_hashes.c || fail ".c levels"

# Install, sign, verify; then break one module and check the errno classes.
mkdir -p inst && cp -r obj/drivers obj/fs inst/ && find inst -name '*.merkle' -delete
expect_rc 0 "$exe" sign --proofs-dir proofs --order obj/modules.order --modules-dir inst
expect_rc 0 "$exe" verify --module-hashes h.bin --json inst/fs/b.ko inst/fs/e.ko
python3 -c 'import json; d=json.load(open("out.txt")); assert [m["result"] for m in d["modules"]]==["ok","ok"], d' \
  || fail "verify --json: $(cat out.txt)"
printf X | dd of=inst/fs/b.ko bs=1 seek=2 conv=notrunc status=none
expect_rc 1 "$exe" verify -v --module-hashes h.bin inst/fs/b.ko inst/fs/e.ko obj/fs/e.ko
grep -q "^inst/fs/b.ko: mismatch (ENOKEY): " out.txt || fail "tampered module: $(cat out.txt)"
grep -q "^inst/fs/e.ko: ok$" out.txt || fail "intact module: $(cat out.txt)"
grep -q "^obj/fs/e.ko: unsigned (ENODATA): no signature marker$" out.txt || fail "unsigned module: $(cat out.txt)"
grep -q "^3 modules: 1 ok (0 pkcs7, 1 merkle), 2 failed, 0 missing, 0 extra$" out.txt || fail "summary: $(cat out.txt)"
# Without -v only the modules that are not ok are listed.
expect_rc 1 "$exe" verify --module-hashes h.bin inst/fs/b.ko inst/fs/e.ko
[ "$(grep -c ': ' out.txt)" = 2 ] && ! grep -q "^inst/fs/e.ko" out.txt || fail "non-verbose: $(cat out.txt)"
expect_rc 2 "$exe" verify --module-hashes h.bin --vmlinux x inst/fs/e.ko
expect_rc 2 "$exe" sign --merkle proofs/fs/e.merkle inst/fs/e.ko
grep -q "already has a signature trailer" err.txt || fail "double sign: $(cat err.txt)"
expect_rc 2 "$exe" sign --merkle h.bin --replace inst/fs/e.ko  # not a .merkle file
expect_rc 0 "$exe" verify --module-hashes h.bin inst/fs/e.ko
rm -rf "$t"
echo PASS
