#!/usr/bin/env bash
# End-to-end judge for module hashes: a real kernel that checks Merkle proofs (Debian's 6.12 with
# the project's patch, tools/kernel/build-test-kernel.sh) boots the vmlinux elfhash sealed and
# must load every module elfhash sealed, and must refuse every tampered one. See
# docs/test-kernel.md.
#
# env:
#   ELFHASH              elfhash binary (default bazel-bin/tools/elfhash)
#   TESTKERNEL_OBJTREE   use this objtree instead of running build-test-kernel.sh
#   KERNEL_TEST_TIMEOUT  seconds per boot (default 180)
#   KEEP=1               keep the work directory (printed)
#   ELFHASH_CACHE        cache root (default ~/.cache/elfhash)
#   SEAL_WITH=commands   seal with the single commands even if `seal` exists
#
# Sealing: `elfhash seal --objtree OBJTREE --out STAGING --install-mod-strip=1`. If `seal` is
# missing (`$ELFHASH seal --help` fails) or SEAL_WITH=commands, the same result is made from the
# single commands (objcopy, strip, tree, patch, sign); the output says which.
#
# The bzImage: kbuild's order is vmlinux.unstripped, modules, sealed vmlinux, bzImage. `make
# bzImage` runs in the cached objtree seen through an overlay (a private mount namespace mounts it
# over its own path, so kbuild's recorded paths still match and nothing is rebuilt; the writes land
# in the work directory and the cache stays untouched), with the sealed vmlinux in place of
# kbuild's: only arch/x86/boot is built (~30 s). Needs root (CI runs as root).
#
# Assertions (closing line "N passed, N failed"; exit 1 if any failed, 2 on setup errors):
#   bzImage: built from the sealed vmlinux, which kbuild kept; `elfhash inspect` finds its root.
#   boot 1, that bzImage, module.sig_enforce=1:
#     - seven attacks are each refused by the kernel, with the reason the v5 check gives:
#         flipped byte in the image ......... "module with unavailable key"  (ENOKEY)
#         trailer removed .................. "unsigned module"              (ENODATA)
#         module A + module B's proof ....... "module with unavailable key"  (ENOKEY)
#         pos changed in the trailer ........ "module with unavailable key"  (ENOKEY)
#         sealed by another build (root) .... "module with unavailable key"  (ENOKEY)
#         proof 32 bytes short, sig_len fixed "module with unsupported crypto" (ENOPKG)
#         a reserved descriptor field set ... "Bad message" (EBADMSG, fatal, not a policy matter)
#     - then every sealed module loads (dependencies first), including the originals of the
#       attacked ones: the refusals above came from the tampering, not from a broken setup.
#   boot 2, negative control on the test: vmlinux.unstripped (zero root, levels 0) refuses the
#     sealed modules ("module with unsupported crypto").
#   boot 3, sealed vmlinux without sig_enforce: the soft errors (no trailer, short proof) load
#     and taint the kernel (E), the malformed descriptor is still refused.
#   host side: `elfhash verify --vmlinux` (the sealed ELF) refuses every attack and passes every
#     sealed module; `elfhash verify --kernel bzImage` (the root read out of the compressed image)
#     gives, for every file boot 1 loaded, the kernel's own verdict: ok, or the same errno
#     (ENOKEY, ENODATA, ENOPKG, EBADMSG).
#   kbuild comparison: the same objtree through kbuild's own steps (GNU strip at build time to
#     .ko.stripped, `elfhash modules-merkle-tree` in place of scripts/modules-merkle-tree, the
#     generated C compiled with the kernel's own compiler command, objcopy --dump-section, GNU
#     objcopy three-step, install = cp + GNU strip + cat .merkle) gives the same .module_hashes,
#     the same loadable vmlinux (headers, PT_LOAD bytes) and the same installed module bytes as
#     the sealing step. Whole-file vmlinux equality is reported, not asserted: GNU's third
#     objcopy pass drops section symbols that a single pass keeps (docs/test-kernel.md).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
kdir=$root/tools/kernel
E=${ELFHASH:-$root/bazel-bin/tools/elfhash}
tmo=${KERNEL_TEST_TIMEOUT:-180}

KTEST_NAME=kernel_enforce_test
. "$root/tools/tests/kernel_lib.sh"
t_start=$(now)

[ -x "$E" ] || setup_fail "elfhash binary not found: $E (bazel build -c opt //tools:elfhash, or set ELFHASH)"
E=$(cd "$(dirname "$E")" && pwd)/$(basename "$E")
for t in python3 objcopy strip readelf gcc; do command -v $t >/dev/null || setup_fail "$t not installed (tools/setup.sh)"; done

# --- the kernel ---------------------------------------------------------------------------------
t=$(now)
if [ -n "${TESTKERNEL_OBJTREE:-}" ]; then obj=$TESTKERNEL_OBJTREE
else obj=$(bash "$kdir/build-test-kernel.sh") || setup_fail "build-test-kernel.sh failed"; fi
obj=$(cd "$obj" && pwd) || setup_fail "no objtree"
for f in vmlinux.unstripped modules.order include/config/kernel.release; do
  [ -f "$obj/$f" ] || setup_fail "$obj/$f missing"
done
rel=$(cat "$obj/include/config/kernel.release")
mapfile -t stems < <(sed 's/\.o$//' "$obj/modules.order")
n=${#stems[@]}
((n >= 10)) || setup_fail "only $n modules in $obj/modules.order"
echo "# objtree $obj ($rel, $n modules) ready in $(elapsed "$t")s"

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-enforce-test.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

# levels of the tree over N modules (spec §2.5): 1 for N <= 1, else the bit length of N - 1.
levels_for() { python3 -c "import sys; n=int(sys.argv[1]); print(1 if n <= 1 else (n-1).bit_length())" "$1"; }

# --- sealing ------------------------------------------------------------------------------------
# seal OBJTREE STAGING: writes STAGING/vmlinux and STAGING/lib/modules/$rel/kernel/<stem>.ko.
have_seal=0
[ "${SEAL_WITH:-}" = commands ] || ! "$E" seal --help >/dev/null 2>&1 || have_seal=1
seal() {
  if [ $have_seal = 1 ]; then
    "$E" seal --objtree "$1" --out "$2" --install-mod-strip=1 >/dev/null
    return
  fi
  # The same chain from the single commands (docs/merkle-commands.md): kbuild's final objcopy
  # (spec §5.1, x86 needs the relocations removed), strip --strip-debug (INSTALL_MOD_STRIP=1,
  # spec §5.2), the tree over the stripped bytes, the root into vmlinux, the proofs appended.
  local o=$1 s=$2 m=$2/lib/modules/$rel/kernel st
  mkdir -p "$m" "$s.proofs"
  "$E" objcopy --remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' \
    --remove-section='.rel.*' -w --strip-unneeded-symbol='__mod_device_table__*' \
    "$o/vmlinux.unstripped" "$s/vmlinux" || return 1
  local files=()
  while read -r st; do
    st=${st%.o}
    mkdir -p "$m/$(dirname "$st")"
    cp "$o/$st.ko" "$m/$st.ko" || return 1
    files+=("$m/$st.ko")
  done < "$o/modules.order"
  "$E" strip --strip-debug "${files[@]}" || return 1
  "$E" tree --order "$o/modules.order" --suffix .ko --objtree "$m" --hashes-out "$s.bin" \
    --proofs-out "$s.proofs" >/dev/null || return 1
  "$E" patch "$s/vmlinux" --module-hashes "$s.bin" || return 1
  "$E" sign --proofs-dir "$s.proofs" --modules-dir "$m" --order "$o/modules.order" || return 1
}
if [ $have_seal = 1 ]; then how="elfhash seal"
elif [ "${SEAL_WITH:-}" = commands ]; then how="elfhash objcopy+strip+tree+patch+sign (SEAL_WITH=commands)"
else how="elfhash objcopy+strip+tree+patch+sign (seal not available: '$E seal --help' failed)"; fi

t=$(now)
stage=$work/staging
seal "$obj" "$stage" || setup_fail "sealing failed ($how)"
mods=$stage/lib/modules/$rel/kernel
echo "# sealed with $how in $(elapsed "$t")s"
[ -f "$stage/vmlinux" ] || setup_fail "no $stage/vmlinux"
for st in "${stems[@]}"; do [ -f "$mods/$st.ko" ] || setup_fail "sealed module $st.ko missing"; done

# --- the bzImage of the sealed vmlinux (kbuild's order; see the header) --------------------------
t=$(now)
bz=$work/bzimage
mkdir -p "$bz/upper" "$bz/work"
cp "$stage/vmlinux" "$bz/upper/vmlinux" && touch -r "$obj/vmlinux" "$bz/upper/vmlinux" || setup_fail "copying the sealed vmlinux"
# The identity build-test-kernel.sh built with: another timestamp would regenerate compile.h and relink vmlinux.
KBUILD_BUILD_TIMESTAMP='2026-01-01 00:00:00 UTC' KBUILD_BUILD_USER=elfhash KBUILD_BUILD_HOST=elfhash \
  KBUILD_BUILD_VERSION=1 LC_ALL=C unshare -m --propagation private sh -c \
  'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$1" && make -C "$1" ARCH=x86_64 -j"$(nproc)" bzImage' \
  sh "$obj" "$bz" > "$bz/make.log" 2>&1
brc=$?
bzimage=$bz/upper/arch/x86/boot/bzImage
echo "# make bzImage over the sealed vmlinux rc=$brc in $(elapsed "$t")s"
check "make bzImage from the sealed vmlinux (overlay on the cached objtree)" "$([ $brc = 0 ] && [ -s "$bzimage" ]; echo $?)" \
  "$(tail -n 5 "$bz/make.log")"
check "kbuild kept the sealed vmlinux (nothing relinked)" "$(cmp -s "$bz/upper/vmlinux" "$stage/vmlinux"; echo $?)" \
  "$(grep -E ' (LD|LINK) +vmlinux' "$bz/make.log")"
root_of() { "$E" verify --json --kernel "$1" /dev/null 2>/dev/null | sed -n 's/.*"module_hashes": {"levels": [0-9]*, "root": "\([0-9a-f]*\)".*/\1/p'; }
r1=$(root_of "$bzimage"); r2=$(root_of "$stage/vmlinux")
check "the bzImage carries the sealed root (${r1:0:16})" "$([ -n "$r1" ] && [ "$r1" = "$r2" ]; echo $?)" "bzImage '$r1', vmlinux '$r2'"
[ -s "$bzimage" ] || bzimage=$stage/vmlinux   # boot 1 then still judges the modules

# A second build that differs only in its module set: the same objtree without the last line of
# modules.order. Its proofs have the same length (same levels) but lead to another root.
other=$work/other-objtree
mkdir -p "$other/include/config"
ln -s "$obj/vmlinux.unstripped" "$other/vmlinux.unstripped"
cp "$obj/include/config/kernel.release" "$other/include/config/"
head -n $((n - 1)) "$obj/modules.order" > "$other/modules.order"
for st in "${stems[@]}"; do mkdir -p "$other/$(dirname "$st")"; ln -s "$obj/$st.ko" "$other/$st.ko"; done
[ "$(levels_for "$n")" = "$(levels_for $((n - 1)))" ] \
  || setup_fail "$n and $((n - 1)) modules give different tree depths; pick another subset"
seal "$other" "$work/other-staging" || setup_fail "sealing the second build failed"

# --- load order and attack targets --------------------------------------------------------------
# Dependencies from .modinfo (depends=): load order = modules.order with dependencies first.
declare -A dep
for st in "${stems[@]}"; do
  # A file, not /dev/stdout: GNU objcopy replaces /dev/stdout by a regular file when fd 1 is closed.
  objcopy -O binary --only-section=.modinfo "$obj/$st.ko" "$work/modinfo.bin" || setup_fail "objcopy of $st.ko failed"
  dep[$(basename "$st")]=$(tr '\0' '\n' < "$work/modinfo.bin" | sed -n 's/^depends=//p' | tr ',' ' ')
done
declare -A done_
order=()
while ((${#order[@]} < n)); do
  progress=0
  for st in "${stems[@]}"; do
    b=$(basename "$st"); [ -z "${done_[$b]:-}" ] || continue
    ok=1; for d in ${dep[$b]}; do d=${d//-/_}; [ -n "${done_[$d]:-}${done_[${d//_/-}]:-}" ] || ok=0; done
    [ $ok = 1 ] || continue
    order+=("$st"); done_[$b]=1; progress=1
  done
  [ $progress = 1 ] || setup_fail "unresolvable module dependencies"
done
# Targets: modules without dependencies, so a wrongly accepted attack would really load.
targets=()
for st in "${stems[@]}"; do [ -z "${dep[$(basename "$st")]}" ] && targets+=("$st"); done
((${#targets[@]} >= 8)) || setup_fail "need 8 modules without dependencies, have ${#targets[@]}"

# --- the attacks --------------------------------------------------------------------------------
atk=$work/attacks
mkdir -p "$atk"
# tamper.py MODE OUT ARGS: byte surgery on sealed modules (trailer layout: spec §3.1).
cat > "$work/tamper.py" <<'EOF'
import struct, sys
MARK = b"~Module signature appended~\n"
def split(path):
    d = open(path, "rb").read()
    assert d.endswith(MARK), path
    sig_len = struct.unpack(">I", d[-28 - 4:-28])[0]
    img_end = len(d) - 28 - 12 - sig_len
    return d[:img_end], d[img_end:len(d) - 40], d[len(d) - 40:]   # image, proof, descriptor+marker
mode, out = sys.argv[1], sys.argv[2]
img, proof, tail = split(sys.argv[3])
if mode == "flip":            # one bit of one byte in the middle of the image
    i = len(img) // 2
    img = img[:i] + bytes([img[i] ^ 0x01]) + img[i + 1:]
    res = img + proof + tail
elif mode == "notrailer":
    res = img
elif mode == "swap":          # image of argv[3], proof (and descriptor) of argv[4]
    _, p2, t2 = split(sys.argv[4])
    res = img + p2 + t2
elif mode == "pos":           # the sibling position: same path length, other leaf
    pos = struct.unpack(">I", proof[:4])[0] ^ 1
    res = img + struct.pack(">I", pos) + proof[4:] + tail
elif mode == "badmsg":        # a reserved descriptor field set: malformed, not merely unverified
    res = img + proof + bytes([tail[0] | 1]) + tail[1:]
elif mode == "truncate":      # drop the top sibling, keep the framing valid
    proof = proof[:-32]
    tail = tail[:8] + struct.pack(">I", len(proof)) + tail[12:]
    res = img + proof + tail
else:
    sys.exit("unknown mode " + mode)
open(out, "wb").write(res)
EOF
tamper() { python3 "$work/tamper.py" "$@" || setup_fail "tamper.py $*"; }
# name|target|what the insmod line must say: "<reason>" of the kernel's "Loading of <reason> is
# rejected" (sig_enforce turns the soft errors into EKEYREJECTED), or "!PATTERN" for other errors.
attacks=()
tamper flip "$atk/atk-flip.ko" "$mods/${targets[0]}.ko"
attacks+=("atk-flip|${targets[0]}|module with unavailable key")
tamper notrailer "$atk/atk-notrailer.ko" "$mods/${targets[1]}.ko"
attacks+=("atk-notrailer|${targets[1]}|unsigned module")
tamper swap "$atk/atk-swap.ko" "$mods/${targets[2]}.ko" "$mods/${targets[3]}.ko"
attacks+=("atk-swap|${targets[2]}|module with unavailable key")
tamper pos "$atk/atk-pos.ko" "$mods/${targets[4]}.ko"
attacks+=("atk-pos|${targets[4]}|module with unavailable key")
cp "$work/other-staging/lib/modules/$rel/kernel/${targets[5]}.ko" "$atk/atk-otherbuild.ko" \
  || setup_fail "${targets[5]} is not in the second build"
attacks+=("atk-otherbuild|${targets[5]}|module with unavailable key")
tamper truncate "$atk/atk-truncate.ko" "$mods/${targets[6]}.ko"
attacks+=("atk-truncate|${targets[6]}|module with unsupported crypto")
tamper badmsg "$atk/atk-badmsg.ko" "$mods/${targets[7]}.ko"
attacks+=("atk-badmsg|${targets[7]}|!Bad message.*signature info has unexpected non-zero params")
cmp -s "$atk/atk-otherbuild.ko" "$mods/${targets[5]}.ko" \
  && setup_fail "the second build sealed ${targets[5]} identically: no other root"

# --- host-side verdicts (elfhash verify is the kernel's check in user space) ---------------------
bad=$(cd "$mods" && "$E" verify -v --vmlinux "$stage/vmlinux" "${stems[@]/%/.ko}" 2>&1 | grep -v ': ok$' | grep -v "^$n modules: $n ok ")
check "elfhash verify: all $n sealed modules ok against the sealed vmlinux" "$([ -z "$bad" ]; echo $?)" "$bad"
for e in "${attacks[@]}"; do
  IFS='|' read -r name _ _ <<<"$e"
  v=$("$E" verify -v --vmlinux "$stage/vmlinux" "$atk/$name.ko" 2>&1)
  check "elfhash verify refuses $name" "$(grep -q ': ok$' <<<"$v"; [ $? != 0 ]; echo $?)" "$v"
done

# --- boot 1: the bzImage, sig_enforce, attacks then every sealed module -------------------------
load=""
for e in "${attacks[@]}"; do IFS='|' read -r name _ _ <<<"$e"; load+=" $atk/$name.ko"; done
for st in "${order[@]}"; do load+=" $mods/$st.ko"; done
t=$(now)
out=$(bash "$kdir/boot.sh" --kernel "$bzimage" --modules-dir "$mods" --load "$load" \
  --append "module.sig_enforce=1" --timeout "$tmo" --log "$work/boot1.log" 2> "$work/boot1.err")
rc=$?
echo "# boot 1 ($(basename "$bzimage") of the sealed vmlinux, ${#attacks[@]} attacks + $n modules) rc=$rc in $(elapsed "$t")s"
check "boot 1 reaches the end on $rel" "$(grep -q "^ELFHASH-START $rel " <<<"$out" && grep -q '^ELFHASH-DONE' <<<"$out"; echo $?)" \
  "$(tail -n 5 "$work/boot1.err")"
for e in "${attacks[@]}"; do
  IFS='|' read -r name target reason <<<"$e"
  line=$(grep "^ELFHASH-INSMOD $name " <<<"$out")
  if [[ $reason == !* ]]; then pat=${reason#!}; else pat="Key was rejected.*of $reason is rejected"; fi
  ok=1
  grep -q " fail " <<<"$line" && grep -q "$pat" <<<"$line" && ok=0
  check "kernel refuses $name ($(basename "$target")): ${reason#!}" $ok "$line"
done
for st in "${order[@]}"; do
  b=$(basename "$st")
  line=$(grep "^ELFHASH-INSMOD $b " <<<"$out")
  check "kernel loads sealed $b" "$([ "$line" = "ELFHASH-INSMOD $b ok" ]; echo $?)" "${line:-no line}"
done
# verify --kernel bzImage against the kernel, file by file: the errno verify reports is the one the
# kernel's module_auth_check() returned, which boot 1's insmod line names through its message.
declare -A kmsg=([ENOKEY]="of module with unavailable key is rejected" [ENODATA]="of unsigned module is rejected"
                 [ENOPKG]="of module with unsupported crypto is rejected" [EBADMSG]="Bad message")
disagree=""
files=()
for e in "${attacks[@]}"; do IFS='|' read -r name _ _ <<<"$e"; files+=("$atk/$name.ko"); done
for st in "${order[@]}"; do files+=("$mods/$st.ko"); done
vj=$("$E" verify --json --kernel "$bzimage" "${files[@]}" 2>/dev/null)
for f in "${files[@]}"; do
  b=$(basename "$f" .ko)
  v=$(grep -F "{\"module\": \"$f\"," <<<"$vj" | sed -n 's/.*"result": "\([a-z]*\)", "errno": \(null\|"\([A-Z]*\)"\).*/\1 \3/p')
  k=$(grep "^ELFHASH-INSMOD $b " <<<"$out")
  read -r res errno <<<"$v"
  if [ "$res" = ok ]; then [ "$k" = "ELFHASH-INSMOD $b ok" ] || disagree+=" $b(verify ok, kernel: ${k:-nothing})"
  elif [ -n "${errno:-}" ] && [ -n "${kmsg[$errno]:-}" ]; then
    [[ $k == *" fail "*"${kmsg[$errno]}"* ]] || disagree+=" $b(verify $errno, kernel: ${k:-nothing})"
  else disagree+=" $b(verify '${v:-no verdict}')"; fi
done
check "verify --kernel bzImage gives boot 1's verdict (ok or errno) for all ${#files[@]} files" \
  "$([ -z "$disagree" ]; echo $?)" "$disagree"
# Loaded with a verified proof: no TAINT_UNSIGNED_MODULE (E, bit 13).
taint=$(sed -n 's/^ELFHASH-LOADTIME .* taint=//p' <<<"$out")
check "no unsigned-module taint after loading (taint=$taint)" "$([ -n "$taint" ] && (( (taint & 8192) == 0 )); echo $?)"

# --- boot 2: negative control on the test itself: the zero root refuses the sealed modules -----
load=""; ctl=("${targets[@]:0:3}")
for st in "${ctl[@]}"; do load+=" $mods/$st.ko"; done
t=$(now)
out=$(bash "$kdir/boot.sh" --kernel "$obj/vmlinux.unstripped" --modules-dir "$mods" --load "$load" \
  --append "module.sig_enforce=1" --timeout "$tmo" --log "$work/boot2.log" 2> "$work/boot2.err")
rc=$?
echo "# boot 2 (vmlinux.unstripped, zero root) rc=$rc in $(elapsed "$t")s"
check "boot 2 reaches the end" "$(grep -q '^ELFHASH-DONE' <<<"$out"; echo $?)" "$(tail -n 5 "$work/boot2.err")"
for st in "${ctl[@]}"; do
  b=$(basename "$st")
  line=$(grep "^ELFHASH-INSMOD $b " <<<"$out")
  ok=1; grep -q " fail .*of module with unsupported crypto is rejected" <<<"$line" && ok=0
  check "zero-root kernel refuses sealed $b" $ok "$line"
done

# --- boot 3: the policy without enforcement (spec §7.2 step 5): soft errors only taint, ---------
# a malformed descriptor is refused all the same.
t=$(now)
out=$(bash "$kdir/boot.sh" --kernel "$stage/vmlinux" --modules-dir "$mods" \
  --load "$atk/atk-badmsg.ko $atk/atk-notrailer.ko $atk/atk-truncate.ko" \
  --timeout "$tmo" --log "$work/boot3.log" 2> "$work/boot3.err")
echo "# boot 3 (sealed vmlinux, no sig_enforce) rc=$? in $(elapsed "$t")s"
check "boot 3 reaches the end" "$(grep -q '^ELFHASH-DONE' <<<"$out"; echo $?)" "$(tail -n 5 "$work/boot3.err")"
line=$(grep "^ELFHASH-INSMOD atk-badmsg " <<<"$out")
check "without sig_enforce: malformed descriptor still refused (EBADMSG)" \
  "$(grep -q " fail .*Bad message" <<<"$line"; echo $?)" "$line"
for name in atk-notrailer atk-truncate; do
  line=$(grep "^ELFHASH-INSMOD $name " <<<"$out")
  check "without sig_enforce: $name loads (soft error)" "$([ "$line" = "ELFHASH-INSMOD $name ok" ]; echo $?)" "$line"
done
taint=$(sed -n 's/^ELFHASH-LOADTIME .* taint=//p' <<<"$out")
check "without sig_enforce: the kernel is tainted unsigned-module (taint=$taint)" \
  "$([ -n "$taint" ] && (( (taint & 8192) != 0 )); echo $?)"

# --- kbuild's own way on the same objtree (spec §4.3, §5.1-§5.4, INSTALL_MOD_STRIP=1) ------------
t=$(now)
kb=$work/kbuild
mkdir -p "$kb/install"
cp "$obj/modules.order" "$kb/"
kfail=
for st in "${stems[@]}"; do  # Makefile.modfinal: %.ko.stripped = cp + $(STRIP) --strip-debug
  mkdir -p "$kb/$(dirname "$st")"
  cp "$obj/$st.ko" "$kb/$st.ko.stripped" && strip --strip-debug "$kb/$st.ko.stripped" || kfail="strip $st"
done
(cd "$kb" && "$E" modules-merkle-tree .tmp_module_hashes.c .ko.stripped) || kfail="modules-merkle-tree"
# .tmp_module_hashes.o by kbuild's cc_o_c: the command that compiled the placeholder, pointed at
# the generated file (objtool and dependency post-processing after the first ';' are not needed).
cc=$(sed -n 's/^savedcmd_kernel\/module\/hashes_root\.o := //p' "$obj/kernel/module/.hashes_root.o.cmd" | sed 's/;.*//')
[ -n "$cc" ] || kfail="no compiler command in kernel/module/.hashes_root.o.cmd"
cc=${cc/-Wp,-MMD,kernel\/module\/.hashes_root.o.d/-Wp,-MMD,$kb/.tmp_module_hashes.o.d}
cc=${cc/-c -o kernel\/module\/hashes_root.o kernel\/module\/hashes_root.c/-c -o $kb/.tmp_module_hashes.o $kb/.tmp_module_hashes.c}
[[ $cc == *"$kb/.tmp_module_hashes.c"* ]] || kfail="unexpected compiler command: $cc"
[ -n "$kfail" ] || (cd "$obj" && eval "$cc") || kfail="compiling .tmp_module_hashes.c"
[ -n "$kfail" ] || objcopy --dump-section .module_hashes="$kb/.tmp_module_hashes.bin" "$kb/.tmp_module_hashes.o" \
  || kfail="dump-section"
# scripts/Makefile.vmlinux objcopy_vmlinux (x86 needs relocs removed) + the v5 third objcopy.
if [ -z "$kfail" ]; then
  objcopy --set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload \
      --set-section-flags '!.rel*.dyn'=noload --set-section-flags '.rel.*'=noload \
      "$obj/vmlinux.unstripped" "$kb/vmlinux" \
    && objcopy --remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' \
      --remove-section='.rel.*' -w --strip-unneeded-symbol='__mod_device_table__*' "$kb/vmlinux" \
    && objcopy --update-section .module_hashes="$kb/.tmp_module_hashes.bin" "$kb/vmlinux" \
    || kfail="GNU objcopy of vmlinux"
fi
# modules_install: cp, $(STRIP) --strip-debug, cat <stem>.merkle >> (spec §5.3).
for st in "${stems[@]}"; do
  [ -z "$kfail" ] || break
  d=$kb/install/$st.ko
  mkdir -p "$(dirname "$d")"
  cp "$obj/$st.ko" "$d" && strip --strip-debug "$d" && cat "$kb/$st.merkle" >> "$d" || kfail="install $st"
done
echo "# kbuild way in $(elapsed "$t")s; compared with: $how"
check "kbuild way ran (GNU objcopy/strip, modules-merkle-tree, kernel cc)" "$([ -z "$kfail" ]; echo $?)" "$kfail"
if [ -z "$kfail" ]; then
  objcopy -O binary --only-section=.module_hashes "$stage/vmlinux" "$work/sealed.bin"
  a=$(od -An -tx1 -v "$kb/.tmp_module_hashes.bin" | tr -d ' \n'); b=$(od -An -tx1 -v "$work/sealed.bin" | tr -d ' \n')
  check "same .module_hashes as kbuild (levels $(levels_for "$n"), ${a:8:16}...)" "$([ "$a" = "$b" ] && [ ${#a} = 72 ]; echo $?)" "kbuild $a, sealed $b"
  # What the boot loader and the kernel see: ELF header, program headers and every PT_LOAD's bytes.
  loadable() { python3 - "$1" <<'PY'
import hashlib, struct, sys
d = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", d, 0x20); phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
h = hashlib.sha256(d[:0x28] + d[0x30:0x3a] + d[phoff:phoff + phentsize * phnum])   # e_shoff excluded
for i in range(phnum):
    p_type, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", d, phoff + i * phentsize)
    if p_type == 1: h.update(d[off:off + filesz])
print(h.hexdigest())
PY
  }
  check "same loadable vmlinux image as GNU objcopy three-step (headers, all PT_LOAD bytes)" \
    "$([ "$(loadable "$kb/vmlinux")" = "$(loadable "$stage/vmlinux")" ]; echo $?)"
  if cmp -s "$kb/vmlinux" "$stage/vmlinux"; then
    echo "# vmlinux: byte-identical to kbuild's three-step GNU objcopy"
  else
    # Known: GNU's third pass (--update-section) rewrites the file once more, and with the
    # relocations gone it drops the section symbols that pass 2 kept for them.
    sa=$(readelf -sW "$stage/vmlinux" | grep -c ' SECTION '); sb=$(readelf -sW "$kb/vmlinux" | grep -c ' SECTION ')
    echo "# note: vmlinux differs from kbuild's in non-allocated parts only: $sa section symbols here, $sb after GNU's third objcopy pass"
  fi
  diffs=""
  for st in "${stems[@]}"; do cmp -s "$kb/install/$st.ko" "$mods/$st.ko" || diffs+=" $st.ko"; done
  check "same installed module bytes as kbuild for all $n modules" "$([ -z "$diffs" ]; echo $?)" "differ:$diffs"
  extra=$(cd "$mods" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
  want=$(printf '%s.ko\n' "${stems[@]}" | LC_ALL=C sort)
  check "staging holds exactly the modules of modules.order" "$([ "$extra" = "$want" ]; echo $?)"
fi

echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
