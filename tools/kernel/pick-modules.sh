#!/usr/bin/env bash
# Picks the Debian kernel modules the kernel tests load, dependencies first.
# Prints module paths relative to lib/modules/<kver>/ (e.g. kernel/lib/libcrc32c.ko), one a line,
# in an order in which plain insmod succeeds. See docs/kernel-tests.md.
#
# usage: pick-modules.sh [--debian DIR] [--softdep] [TARGET...]
#   --debian DIR  unpacked kernel from tools/kernel/fetch-debian.sh (default: run it)
#   --softdep     also the modules named by "softdep pre:" (modules.softdep, through modules.alias),
#                 before the module that names them: on s390x libcrc32c's crc32c is a module
#   TARGET        module names to load (default: the list below); their dependencies are added
#                 from modules.dep, which depmod computes over a staging copy of the unsigned tree.
# env: ELFHASH_CACHE (default ~/.cache/elfhash) keeps the depmod staging tree.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deb= softdep=0
if [ "${1:-}" = --debian ]; then deb=${2:?}; shift 2; fi
if [ "${1:-}" = --softdep ]; then softdep=1; shift; fi
[ -n "$deb" ] || deb=$(bash "$here/fetch-debian.sh")
kver=$(cat "$deb/kver")

# Modules whose init succeeds on qemu's default pc machine without any hardware, chosen to cover
# many subsystems and ELF shapes (large modules with many relocation sections, exported symbol
# tables, per-cpu data, jump labels, ORC unwind tables, alternatives, module parameters).
# A name with a leading '?' is loaded only where it is a module: crc32c_generic is built into the cloud
# kernel but a module of the generic one, where libcrc32c's init (crypto_alloc_shash("crc32c"), a
# softdep that modules.dep does not list) fails with ENOENT unless it is loaded first.
targets=(
  ?crc32c_generic
  # filesystems
  btrfs xfs isofs udf squashfs vfat exfat fuse overlay nfsv4
  # networking
  bridge 8021q veth dummy vxlan wireguard sctp tipc tun macvlan
  # crypto
  sha3_generic blowfish_generic twofish_generic serpent_generic camellia_generic cast6_generic
  des_generic xts lrw ccm gcm chacha20poly1305 michael_mic wp512 streebog_generic rmd160 cmac xcbc
  adiantum
  # lib
  crc-itu-t crc7 ts_bm ts_kmp ts_fsm lru_cache
  # block
  loop brd null_blk zram nbd bfq kyber-iosched
)
(($#)) && targets=("$@")

src=$deb/unsigned/lib/modules/$kver
stage=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/depmod/$kver
dep=$stage/lib/modules/$kver/modules.dep
if [ ! -s "$dep" ] || [ "$dep" -ot "$src/modules.order" ]; then
  # depmod writes its output next to the modules: work on a hard-linked copy, not the cache.
  # Built aside and renamed into place, so concurrent runs never see a half-made tree.
  tmp=$stage.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp/lib/modules/$kver"
  cp -al "$src/kernel" "$tmp/lib/modules/$kver/" 2>/dev/null || cp -a "$src/kernel" "$tmp/lib/modules/$kver/"
  cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo "$tmp/lib/modules/$kver/"
  depmod -b "$tmp" "$kver" >&2
  rm -rf "$stage"
  mv -T "$tmp" "$stage" 2>/dev/null || rm -rf "$tmp"
fi

# Depth-first post-order over modules.dep: every module after all of its dependencies, and with
# --softdep after the modules its "softdep pre:" names resolve to through modules.alias, which
# modules.dep does not list (libcrc32c's crc32c: crc32c_generic on s390x).
awk -v targets="${targets[*]}" -v softdep="$softdep" '
  function name(p,   n) { n = p; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n); return n }
  function visit(p,   i, n, d) {
    if (p in done) return
    if (p in active) { print "pick-modules: dependency cycle at " p > "/dev/stderr"; exit 2 }
    active[p] = 1
    n = softdep ? split(soft[name(p)], d, " ") : 0   # softdep "pre:" modules first, as modprobe
    # Best effort, as modprobe: an arch/ module (s390x sha256_s390 needs CPACF, which TCG
    # lacks) is left out; the generic implementation is then built in.
    for (i = 1; i <= n; i++)
      if (d[i] in alias && alias[d[i]] in byname && byname[alias[d[i]]] !~ /^kernel\/arch\//) visit(byname[alias[d[i]]])
    n = split(deps[p], d, " ")
    for (i = 1; i <= n; i++) visit(d[i])
    done[p] = 1; print p
  }
  FILENAME ~ /softdep$/ { if ($1 == "softdep" && $3 == "pre:") { k = $2; gsub(/-/, "_", k); for (i = 4; i <= NF; i++) soft[k] = soft[k] " " $i }; next }
  # Of several modules with the alias, a *_generic one: the others may need hardware (s390x CPACF).
  FILENAME ~ /alias$/ { v = $3; gsub(/-/, "_", v); if ($1 == "alias" && (!($2 in alias) || v ~ /_generic$/)) alias[$2] = v; next }
  { p = $1; sub(/:$/, "", p); $1 = ""; deps[p] = $0; byname[name(p)] = p }
  END {
    n = split(targets, t, " ")
    for (i = 1; i <= n; i++) {
      k = t[i]; gsub(/-/, "_", k)
      optional = sub(/^\?/, "", k)
      if (!(k in byname) && optional) continue
      if (!(k in byname)) { print "pick-modules: " t[i] ": not a module of this kernel (built in?)" > "/dev/stderr"; missing = 1; continue }
      visit(byname[k])
    }
    exit missing
  }' "${dep%.dep}.softdep" "${dep%.dep}.alias" "$dep"
