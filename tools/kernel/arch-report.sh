#!/usr/bin/env bash
# Parity of elfhash with GNU binutils 2.40 (binutils-multiarch) and with Debian's shipped modules,
# on Debian's kernels for several architectures (tools/kernel/arches.txt, fetched by fetch-debian.sh).
# Per architecture it prints:
#   strip-debug     -dbg modules, how many `elfhash strip --strip-debug` makes byte-identical to GNU
#                   `strip --strip-debug` and to the module Debian shipped (its signature trailer, if
#                   any, ignored: the shipped image is compared up to the stripped file's size), then
#                   the names of the ones that differ;
#   strip-unneeded  the same against GNU `strip --strip-unneeded`;
#   vmlinux         kbuild's vmlinux command (spec §5.1) as one elfhash call == GNU objcopy's two steps;
#   time            all-modules strip --strip-debug, one process for all: elfhash vs GNU strip (s);
#   seal            `elfhash seal` over an objtree of the same modules (seal-objtree.sh's placeholder
#                   .module_hashes on vmlinux): `levels` in the target's byte order, every installed
#                   module verifies, the tree does not depend on -j, one flipped byte fails that module.
# usage: arch-report.sh [ARCH...]        (default: every architecture in arches.txt)
#   SAMPLE=N   only every k-th module (sorted by path) so that about N are used (CI); 0 = all
#   ELFHASH    the binary (default bazel-bin/tools/elfhash)
#   SKIP_VMLINUX=1  skip the vmlinux command
#   IMAGE_ONLY=1    use only the image package (FETCH_DBG=0: ~20-50 MB per architecture instead of
#                   0.3-0.8 GB and minutes of xz): its shipped modules, signature trailer cut off, are
#                   the input of both strips; no Debian comparison, no vmlinux command (CI's mode);
#                   seal's vmlinux is then a stand-in: the first sampled module (an ELF of the target's
#                   class, byte order and machine) with the placeholder section
# Exit status: 0 when everything is identical, 1 otherwise, 2 on setup errors.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
E=${ELFHASH:-$root/bazel-bin/tools/elfhash}
[ -x "$E" ] || { echo "arch-report: $E missing (bazel build -c opt //tools:elfhash)" >&2; exit 2; }
sample=${SAMPLE:-0}
image_only=${IMAGE_ONLY:-0}
mapfile -t arches < <(if (($#)); then printf '%s\n' "$@"; else awk '!/^#/ && NF {print $1}' "$here/arches.txt"; fi)
T=$(mktemp -d "${TMPDIR:-/tmp}/arch-report.XXXXXX")
trap 'rm -rf "$T"' EXIT
status=0
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }

# untrail FILE: cuts an appended module signature (struct module_signature, 12 bytes ending in the
# big-endian sig_len, then "~Module signature appended~\n") off FILE.
untrail() {
  [ "$(tail -c 28 "$1")" = '~Module signature appended~' ] || return 0
  local size len
  size=$(stat -c %s "$1")
  len=$(tail -c 32 "$1" | head -c 4 | od -An -tu1 | awk '{print (($1 * 256 + $2) * 256 + $3) * 256 + $4}')
  truncate -s $((size - 40 - len)) "$1"
}

# compare_trees NAME DIR_A DIR_B LIST: prints "identical M" and the names that differ.
compare_trees() {
  local label=$1 a=$2 b=$3 list=$4 same=0 total=0 diff=()
  while IFS= read -r m; do
    total=$((total + 1))
    if cmp -s "$a/$m" "$b/$m"; then same=$((same + 1)); else diff+=("$m"); fi
  done < "$list"
  echo "  $label: $same of $total identical${diff:+; differ: ${diff[*]:0:20}}$(((${#diff[@]} > 20)) && echo " ...")"
  ((${#diff[@]} == 0)) || status=1
}

# seal_check W DEB KVER: seals W/in's modules (W/list) as a kbuild objtree and prints one line
#   "  seal: N modules, L levels (<endian>), verify: N ok; -j1 == -j2; flipped byte: 1 failed"
# or "  seal: FAILED (...)". The objtree is the layout seal-objtree.sh makes for the cloud kernel.
seal_check() {
  local w=$1 deb=$2 kver=$3 o=$1/objtree v vm n lv endian cls want sum bad
  mkdir -p "$o/include/config"
  echo "$kver" > "$o/include/config/kernel.release"
  local l stem
  : > "$o/modules.order"
  while IFS= read -r l; do
    stem=${l#./}; stem=${stem#kernel/}; stem=${stem%.ko}
    echo "$stem.o" >> "$o/modules.order"
    mkdir -p "$o/$(dirname "$stem")"
    ln -s "$w/in/${l#./}" "$o/$stem.ko"
  done < "$w/list"
  vm=$deb/dbg/usr/lib/debug/boot/vmlinux-$kver
  ((image_only)) && vm=$w/in/$(head -1 "$w/list")
  head -c 36 /dev/zero > "$w/zero36"
  fail() { echo "  seal: FAILED ($*)"; status=1; }
  "$E" objcopy --add-section .module_hashes="$w/zero36" "$vm" "$o/vmlinux.unstripped" 2> "$w/errs" || { fail "placeholder: $(head -1 "$w/errs")"; return; }
  for j in 1 2; do
    "$E" seal --objtree "$o" --out "$w/st$j" --install-mod-strip 1 -j $j > /dev/null 2> "$w/errs" || { fail "seal -j$j: $(head -1 "$w/errs")"; return; }
  done
  diff -r "$w/st1" "$w/st2" > /dev/null || { fail "-j1 and -j2 differ"; return; }
  objcopy --dump-section .module_hashes="$w/mh" "$w/st1/vmlinux" "$w/mhv" 2> "$w/errs" || { fail "dump: $(head -1 "$w/errs")"; return; }
  # .module_hashes: u32 levels in the target's byte order, then the 32-byte root (spec, docs/formats.md).
  cls=$(od -An -j5 -N1 -tu1 "$w/st1/vmlinux" | tr -d ' ')
  if [ "$cls" = 2 ]; then endian=big-endian; lv=$(od -An -N4 -tu1 "$w/mh" | awk '{print (($1*256+$2)*256+$3)*256+$4}')
  else endian=little-endian; lv=$(od -An -N4 -tu1 "$w/mh" | awk '{print (($4*256+$3)*256+$2)*256+$1}'); fi
  n=$(wc -l < "$w/list")
  # ceil(log2(n)) levels for n leaves (docs/formats.md).
  want=$(awk -v n="$n" 'BEGIN{l=0; while (2^l < n) l++; print l}')
  [ "$lv" = "$want" ] || { fail "levels $lv read $endian, want $want"; return; }
  sum=$("$E" verify --kernel "$w/st1/vmlinux" "$w/st1/lib/modules/$kver" 2>&1 | tail -1)
  [[ $sum == "$n modules: $n ok (0 pkcs7, $n merkle), 0 failed, 0 missing, 0 extra" ]] || { fail "verify: $sum"; return; }
  bad=$(find "$w/st1/lib/modules/$kver" -name '*.ko' | sort | sed -n 2p)
  printf '\xff' | dd of="$bad" bs=1 seek=100 conv=notrunc status=none
  sum=$("$E" verify --kernel "$w/st1/vmlinux" "$w/st1/lib/modules/$kver" 2>&1 | tail -1)
  [[ $sum == "$n modules: $((n - 1)) ok"*", 1 failed, 0 missing, 0 extra" ]] || { fail "flipped byte: $sum"; return; }
  echo "  seal: $n modules, $lv levels ($endian), verify: $n ok; -j1 == -j2; flipped byte: 1 failed"
}

for arch in "${arches[@]}"; do
  deb=$(FETCH_DBG=$((1 - image_only)) bash "$here/fetch-debian.sh" "$arch") || { echo "$arch: fetch failed"; status=2; continue; }
  kver=$(cat "$deb/kver")
  dbg=$deb/dbg/usr/lib/debug/lib/modules/$kver
  shipped=$deb/unsigned/lib/modules/$kver
  w=$T/$arch
  mkdir -p "$w"
  src=$dbg; ((image_only)) && src=$shipped
  (cd "$src" && find . -name '*.ko' | sort) > "$w/all"
  n=$(wc -l < "$w/all")
  step=1; ((sample > 0 && n > sample)) && step=$(( (n + sample - 1) / sample ))
  awk -v s="$step" '(NR - 1) % s == 0' "$w/all" > "$w/list"
  echo "$arch ($kver): $(wc -l < "$w/list") of $n modules"
  (cd "$src" && tar -cf - -T "$w/list") | (mkdir -p "$w/in" && cd "$w/in" && tar -xf -)
  rel() { sed "s|^\.|$w/$1|" "$w/list"; }
  if ((image_only)); then rel in | while IFS= read -r f; do untrail "$f"; done; fi
  for t in eh gnu ehu gnuu; do cp -r "$w/in" "$w/$t"; done
  t0=$(now); rel gnu | xargs -d '\n' strip --strip-debug; tg=$(secs "$t0")
  t0=$(now); rel eh | xargs -d '\n' "$E" strip --strip-debug 2> "$w/err"; te=$(secs "$t0")
  [ -s "$w/err" ] && { echo "  elfhash strip --strip-debug errors:"; head -5 "$w/err" | sed 's/^/    /'; status=1; }
  compare_trees "strip-debug vs GNU strip" "$w/eh" "$w/gnu" "$w/list"
  if ((!image_only)); then
  # Debian's module: GNU strip --strip-debug output (+ PKCS#7 trailer where signed); compare the
  # stripped image's bytes only.
  same=0 diff=()
  while IFS= read -r m; do
    size=$(stat -c %s "$w/eh/$m")
    if [ -f "$shipped/$m" ] && cmp -s -n "$size" "$w/eh/$m" "$shipped/$m" &&
       { [ "$(stat -c %s "$shipped/$m")" = "$size" ] || [ "$(tail -c 28 "$shipped/$m")" = '~Module signature appended~' ]; }
    then same=$((same + 1)); else diff+=("$m"); fi
  done < "$w/list"
  echo "  strip-debug vs Debian's shipped modules: $same of $(wc -l < "$w/list") identical${diff:+; differ: ${diff[*]:0:20}}"
  ((${#diff[@]} == 0)) || status=1
  fi
  rel gnuu | xargs -d '\n' strip --strip-unneeded
  rel ehu | xargs -d '\n' "$E" strip --strip-unneeded 2> "$w/erru"
  [ -s "$w/erru" ] && { echo "  elfhash strip --strip-unneeded errors:"; head -5 "$w/erru" | sed 's/^/    /'; status=1; }
  compare_trees "strip-unneeded vs GNU strip" "$w/ehu" "$w/gnuu" "$w/list"
  echo "  time, strip --strip-debug of $(wc -l < "$w/list") modules in one process: elfhash ${te}s, GNU strip ${tg}s"
  seal_check "$w" "$deb" "$kver"
  if [ "${SKIP_VMLINUX:-}" != 1 ] && ((!image_only)); then
    v=$deb/dbg/usr/lib/debug/boot/vmlinux-$kver
    kb1=(--set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload --set-section-flags '!.rel*.dyn'=noload
         --set-section-flags '.rel.*'=noload)
    kb2=(--remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' --remove-section='.rel.*'
         -w --strip-unneeded-symbol='__mod_device_table__*')
    if objcopy "${kb1[@]}" "$v" "$w/vmlinux.gnu" && objcopy "${kb2[@]}" "$w/vmlinux.gnu" &&
       "$E" objcopy "${kb1[@]}" "${kb2[@]}" "$v" "$w/vmlinux.eh" 2> "$w/errv" && cmp -s "$w/vmlinux.gnu" "$w/vmlinux.eh"
    then echo "  vmlinux command: identical to GNU objcopy's two steps"
    else echo "  vmlinux command: DIFFERS from GNU objcopy's two steps $(head -1 "$w/errv")"; status=1; fi
  fi
  rm -rf "$w"
done
exit $status
