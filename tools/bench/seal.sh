#!/usr/bin/env bash
# `elfhash seal` vs the chain it replaces (docs/seal.md), on Debian's full cloud kernel, back to back.
# Both start from the same objtree (tools/kernel/seal-objtree.sh: 1121 unstripped -dbg modules, the
# -dbg vmlinux with a zero .module_hashes) and end with the same installable result:
#   seal:  elfhash seal --install-mod-strip=1 (one process, all cores)
#   chain: what kbuild runs for INSTALL_MOD_STRIP=1 with CONFIG_MODULE_HASHES, with make's
#          parallelism (-P cores) for the per-module steps, counting the strip only once:
#          per module `cp` + GNU `strip --strip-debug` into the staging tree; the Merkle tool over the
#          stripped modules (`elfhash modules-merkle-tree`, the kernel's tool is not built here);
#          `cc -c` of its .c + `objcopy --dump-section` (spec §4.3); per module `cat X.merkle >> X.ko`;
#          the three-step GNU objcopy on vmlinux (spec §5.1).
#          (kbuild v5 strips every module twice, spec §5.4; the chain here is the cheaper half.)
# Every run writes a new directory (nothing is deleted until the end: ext4 makes creating files
# right after deleting many slow, which would measure the file system, not the tools).
# usage: tools/bench/seal.sh [ELFHASH]   RUNS=3 by default; prints medians, ratio, peak RSS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
. "$here/lib.sh"
E=$(realpath "${1:-$here/../../bazel-bin/tools/elfhash}")
for t in bc objcopy strip cc; do command -v $t >/dev/null || { echo "needs $t (tools/setup.sh)"; exit 1; }; done
deb=$(bash "$here/../kernel/fetch-debian.sh")
kver=$(cat "$deb/kver")
W=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-seal-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
obj=$W/obj
ELFHASH=$E bash "$here/../kernel/seal-objtree.sh" "$obj" "$deb"
n=$(wc -l < "$obj/modules.order")

# The header the generated .tmp_module_hashes.c includes (include/linux/module_hashes.h, spec §4.1).
mkdir -p "$W/inc/linux"
cat > "$W/inc/linux/module_hashes.h" <<'H'
struct module_hash { unsigned char h[32]; };
struct module_hashes_root { unsigned int levels; struct module_hash hash; };
#define __module_hashes_section __attribute__((section(".module_hashes")))
H
cat > "$W/chain.sh" <<'SH'
#!/usr/bin/env bash
# chain.sh OBJ OUT: the kbuild chain (see seal.sh).
set -euo pipefail
obj=$1 out=$2 j=$(nproc) inc=$3
mod=$out/lib/modules/$(cat "$obj/include/config/kernel.release")
mkdir -p "$mod/kernel"
cd "$obj"
# modules_install, part 1: cp + strip (cmd_install_mod, cmd_strip_mod), make -j.
sed 's/\.o$//' modules.order | xargs -P "$j" -I{} sh -c 'mkdir -p "$(dirname "$0/{}")" && cp {}.ko "$0/{}.ko" && strip --strip-debug "$0/{}.ko"' "$mod/kernel"
# The Merkle tool runs where modules.order names the stripped files.
sed 's/\.o$//' modules.order | sed 's/$/.o/' > "$mod/kernel/modules.order"
(cd "$mod/kernel" && "$ELFHASH" modules-merkle-tree "$out/.tmp_module_hashes.c" .ko)
cc -I"$inc" -c -o "$out/.tmp_module_hashes.o" "$out/.tmp_module_hashes.c"
objcopy --dump-section .module_hashes="$out/.tmp_module_hashes.bin" "$out/.tmp_module_hashes.o"
# modules_install, part 2: cat <stem>.merkle >> <stem>.ko (cmd_sign), make -j.
sed 's/\.o$//' modules.order | xargs -P "$j" -I{} sh -c 'cat "$0/{}.merkle" >> "$0/{}.ko"' "$mod/kernel"
# objcopy_vmlinux (spec §5.1), three commands.
objcopy --set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload --set-section-flags '!.rel*.dyn'=noload --set-section-flags '.rel.*'=noload vmlinux.unstripped "$out/vmlinux"
objcopy --remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' --remove-section='.rel.*' -w --strip-unneeded-symbol='__mod_device_table__*' "$out/vmlinux"
objcopy --update-section .module_hashes="$out/.tmp_module_hashes.bin" "$out/vmlinux"
SH
chmod +x "$W/chain.sh"
export ELFHASH=$E

# One reference run of each, checked against each other (same vmlinux, same installed modules).
"$E" seal --objtree "$obj" --out "$W/ref-seal" --install-mod-strip=1 > /dev/null
"$W/chain.sh" "$obj" "$W/ref-chain" "$W/inc"
# GNU's third objcopy (--update-section) re-copies the whole file and drops the section symbols
# the second one kept, so the chain's vmlinux is not byte-identical to seal's (docs/seal.md).
cmp -s "$W/ref-seal/vmlinux" "$W/ref-chain/vmlinux" && vsame=identical || vsame="different ($( (cmp "$W/ref-seal/vmlinux" "$W/ref-chain/vmlinux" || true) | cut -d: -f2-))"
"$E" objcopy --dump-section .module_hashes="$W/mh-seal" "$W/ref-seal/vmlinux" "$W/junk" && rm -f "$W/junk"
cmp -s "$W/mh-seal" "$W/ref-chain/.tmp_module_hashes.bin" && msame=identical || msame=DIFFERENT
(cd "$W/ref-seal/lib/modules/$kver/kernel" && find . -name '*.ko' | sort | xargs sha256sum) > "$W/ref-seal.sum"
(cd "$W/ref-chain/lib/modules/$kver/kernel" && find . -name '*.ko' | sort | xargs sha256sum) > "$W/ref-chain.sum"
cmp -s "$W/ref-seal.sum" "$W/ref-chain.sum" && same=identical || same=DIFFERENT
cat "$obj/vmlinux.unstripped" $(find -L "$obj" -name '*.ko') > /dev/null  # warm the page cache for both

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "elfhash seal benchmark: Debian $kver, $n modules, $(nproc) cores, load average $load, median of $RUNS runs"
echo "  seal vs chain: installed modules $same; .module_hashes $msame; vmlinux $vsame"
measure "elfhash seal (all cores)" "" bash -c "d=\$(mktemp -d -p $W s.XXXXXX); rmdir \$d; exec $E seal --objtree $obj --out \$d --install-mod-strip=1"
measure "elfhash seal -j 1" "" bash -c "d=\$(mktemp -d -p $W s.XXXXXX); rmdir \$d; exec $E seal --objtree $obj --out \$d --install-mod-strip=1 -j 1"
measure "chain: cp+strip, merkle tree, cat, 3x objcopy" "" bash -c "d=\$(mktemp -d -p $W c.XXXXXX); exec $W/chain.sh $obj \$d $W/inc"
ratio "chain: cp+strip, merkle tree, cat, 3x objcopy" "elfhash seal (all cores)"
# CPU time is what a shared machine cannot inflate: (user + sys) / cores bounds the idle wall time.
cpu() { /usr/bin/time -f '%U %S' -o "$W/cpu" "$@" > /dev/null 2>&1; awk '{printf "%.2f s (user %.2f + sys %.2f)", $1 + $2, $1, $2}' "$W/cpu"; }
echo "  CPU of one more run: seal $(cpu "$E" seal --objtree "$obj" --out "$W/cpu-seal" --install-mod-strip=1), chain $(cpu "$W/chain.sh" "$obj" "$W/cpu-chain" "$W/inc")"
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
