#!/usr/bin/env bash
# `elfhash seal` against the chain it replaces and against the file-system floors (docs/benchmarks.md,
# "seal"), on Debian's kernels. Rows (each: every contender and its floor in the same run):
#   cloud, warm, DIR's file system (default: the root disk)   seal | chain | floor `cp -r` of the output
#   cloud, warm, tmpfs (/dev/shm)                              seal | chain | floor `cp -r` of the output
#   cloud, cold cache (drop_caches before every run, DIR)     seal | floor `cat` of the inputs
#   generic amd64 flavour (4023 modules), warm, DIR           seal | chain | floor `cp -r` of the output
# Contenders are interleaved: round r runs each of them once, so a change in the machine's load hits
# all of them alike; medians over RUNS rounds. All start from the same objtree
# (tools/kernel/seal-objtree.sh: unstripped -dbg modules, the -dbg vmlinux with a zero .module_hashes)
# and end with the same installable tree:
#   seal:  elfhash seal --install-mod-strip=1 (one process, all cores)
#   chain: what kbuild runs for INSTALL_MOD_STRIP=1 with CONFIG_MODULE_HASHES, with make's
#          parallelism (-P cores) for the per-module steps, counting the strip only once:
#          per module `cp` + GNU `strip --strip-debug` into the staging tree; the Merkle tool over the
#          stripped modules (`elfhash modules-merkle-tree`, its drop-in: the kernel's tool is not built
#          here); `cc -c` of its .c + `objcopy --dump-section` (spec §4.3); per module
#          `cat X.merkle >> X.ko`; the three-step GNU objcopy on vmlinux (spec §5.1).
#          (kbuild v5 strips every module twice, spec §5.4; the chain here is the cheaper half.)
#   floor: `cp -r` of a sealed tree (modules + vmlinux) next to it: the cost of writing the output on
#          that file system; cold: `cat` of vmlinux.unstripped and every module after dropping caches.
# On DIR every run writes a new directory and nothing is deleted until the end of the row: ext4 makes
# creating files right after deleting many slow, which would measure the file system, not the tools.
# The largest row (generic) needs about 3 x 3 x 0.69 GB of disk.
# usage: tools/bench/seal.sh [ELFHASH]
#   RUNS=3            rounds per row (medians)
#   DIR=path          where the first and cold rows write (default ${ELFHASH_CACHE:-~/.cache/elfhash})
#   ROWS="warm tmpfs cold generic"   the rows to run; generic fetches linux-image-<ver>-amd64-dbg and
#                     -unsigned (860 MB download, 5.6 GB unpacked) the first time; cold needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
ROWS=${ROWS:-warm tmpfs cold generic}
. "$here/lib.sh"
E=$(realpath "${1:-$here/../../bazel-bin/tools/elfhash}")
for t in bc objcopy strip cc; do command -v $t >/dev/null || { echo "needs $t (tools/setup.sh)"; exit 1; }; done
cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}
base=${DIR:-$cache}
mkdir -p "$base"
W=$(mktemp -d "$base/.elfhash-seal-bench.XXXXXX")
S=$(mktemp -d /dev/shm/elfhash-seal-bench.XXXXXX)
trap 'rm -rf "$W" "$S"' EXIT
export ELFHASH=$E

# The header the generated .tmp_module_hashes.c includes (include/linux/module_hashes.h, spec §4.1).
mkdir -p "$W/inc/linux"
cat > "$W/inc/linux/module_hashes.h" <<'H'
struct module_hash { unsigned char h[32]; };
struct module_hashes_root { unsigned int levels; struct module_hash hash; };
#define __module_hashes_section __attribute__((section(".module_hashes")))
H
cat > "$W/chain.sh" <<'SH'
#!/usr/bin/env bash
# chain.sh OBJ OUT INC: the kbuild chain (see seal.sh).
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

# One sample of LABEL: CMD under GNU time, appended to the label's samples.
declare -A SAMPLES
sample() {
  local label=$1; shift
  /usr/bin/time -o "$W/time" -f '%e %U %S %M' "$@" > /dev/null 2> "$W/err" || { echo "  $label: failed:" >&2; cat "$W/err" >&2; exit 1; }
  SAMPLES[$label]+="$(tail -1 "$W/time");"
}
# Medians of a label's samples into lib.sh's MED_T/MED_CPU/MED_RSS, and one line.
report() {
  local label=$1
  local rows; rows=$(tr ';' '\n' <<< "${SAMPLES[$label]}" | sed '/^$/d')
  MED_T[$label]=$(awk '{print $1}' <<< "$rows" | _median)
  MED_CPU[$label]=$(awk '{print $2 + $3}' <<< "$rows" | _median)
  MED_RSS[$label]=$(awk '{print $4}' <<< "$rows" | _median)
  printf '  %-46s %7.3f s wall %7.3f s cpu %8.1f MiB peak RSS  (%s)\n' "$label" "${MED_T[$label]}" "${MED_CPU[$label]}" \
    "$(echo "${MED_RSS[$label]} / 1024" | bc -l)" "$(awk '{printf "%s ", $1}' <<< "$rows")s"
}
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
fs_of() { findmnt -no FSTYPE -T "$1" 2>/dev/null | sed -n 1p | grep . || stat -f -c %T "$1"; }

# objtree FLAVOUR -> prints OBJ (made once per run in $W).
objtree() {
  local deb; deb=$(bash "$here/../kernel/fetch-debian.sh" amd64 "$1")
  local obj=$W/obj-$1
  [ -d "$obj" ] || ELFHASH=$E bash "$here/../kernel/seal-objtree.sh" "$obj" "$deb" > /dev/null
  echo "$obj"
}
warm() { cat "$1/vmlinux.unstripped" $(find -L "$1" -name '*.ko') > /dev/null; }

# warm_row NAME OBJ DIR: seal, chain, cp -r floor, interleaved; checks seal == chain once first.
warm_row() {
  local name=$1 obj=$2 d=$3 r kver n
  mkdir -p "$d"
  kver=$(cat "$obj/include/config/kernel.release")
  n=$(wc -l < "$obj/modules.order")
  "$E" seal --objtree "$obj" --out "$d/ref-seal" --install-mod-strip=1 > /dev/null
  "$W/chain.sh" "$obj" "$d/ref-chain" "$W/inc"
  (cd "$d/ref-seal/lib/modules/$kver/kernel" && find . -name '*.ko' | sort | xargs sha256sum) > "$W/ref-seal.sum"
  (cd "$d/ref-chain/lib/modules/$kver/kernel" && find . -name '*.ko' | sort | xargs sha256sum) > "$W/ref-chain.sum"
  local same=DIFFERENT; cmp -s "$W/ref-seal.sum" "$W/ref-chain.sum" && same=identical
  "$E" objcopy --dump-section .module_hashes="$W/mh-seal" "$d/ref-seal/vmlinux" "$W/junk" && rm -f "$W/junk"
  local msame=DIFFERENT; cmp -s "$W/mh-seal" "$d/ref-chain/.tmp_module_hashes.bin" && msame=identical
  rm -rf "$d/ref-chain"
  warm "$obj"
  echo "$name: Debian $kver, $n modules, output on $d ($(fs_of "$d")), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "  seal vs chain: installed modules $same, .module_hashes $msame (vmlinux differs: GNU's --update-section drops section symbols, docs/seal.md)"
  for ((r = 0; r < RUNS; r++)); do
    sample "$name: elfhash seal" "$E" seal --objtree "$obj" --out "$d/s.$r" --install-mod-strip=1
    sample "$name: floor cp -r of the output" cp -r "$d/ref-seal" "$d/f.$r"
    sample "$name: chain" "$W/chain.sh" "$obj" "$d/c.$r" "$W/inc"
    if [ "$(fs_of "$d")" = tmpfs ]; then rm -rf "$d/s.$r" "$d/f.$r" "$d/c.$r"; fi  # RAM; tmpfs frees cheaply
  done
  report "$name: elfhash seal"
  report "$name: floor cp -r of the output"
  report "$name: chain"
  ratio "$name: elfhash seal" "$name: floor cp -r of the output"
  ratio_cpu "$name: chain" "$name: elfhash seal"
  echo "  $name: seal -j1 CPU $(/usr/bin/time -f '%U %S' -o "$W/cpu" "$E" seal --objtree "$obj" --out "$d/j1" --install-mod-strip=1 -j 1 > /dev/null; awk '{printf "%.2f s (user %.2f + sys %.2f)", $1 + $2, $1, $2}' "$W/cpu"); load after $(cut -d' ' -f1-3 /proc/loadavg)"
  # The row's outputs go before the next row (untimed; synced so their freeing is not charged to it):
  # 3 rounds of the generic flavour take 6 GB.
  rm -rf "$d"/s.* "$d"/f.* "$d"/c.* "$d/j1" "$d/ref-seal"
  sync
}

# cold_row OBJ DIR: seal with a cold page cache against cat of its inputs with a cold page cache.
cold_row() {
  local obj=$1 d=$2 r
  mkdir -p "$d"
  [ "$(id -u)" = 0 ] || { echo "cold: needs root (drop_caches); skipped"; return 0; }
  (echo "$obj/vmlinux.unstripped"; sed 's|\.o$|.ko|; s|^|'"$obj"'/|' "$obj/modules.order") > "$W/inputs"
  echo "cold: $(wc -l < "$W/inputs") inputs ($(xargs cat < "$W/inputs" | wc -c | awk '{printf "%.0f MB", $1 / 1e6}')), sync + drop_caches before each run, output on $d ($(fs_of "$d")), load $(cut -d' ' -f1-3 /proc/loadavg)"
  for ((r = 0; r < RUNS; r++)); do
    drop_caches
    sample "cold: elfhash seal" "$E" seal --objtree "$obj" --out "$d/cold.$r" --install-mod-strip=1
    drop_caches
    sample "cold: floor cat of the inputs" sh -c "xargs cat < '$W/inputs'"
  done
  report "cold: elfhash seal"
  report "cold: floor cat of the inputs"
  ratio "cold: elfhash seal" "cold: floor cat of the inputs"
  rm -rf "$d"
  sync
}

echo "elfhash seal benchmark: $(nproc) cores, median of $RUNS interleaved rounds, elfhash $E"
for row in $ROWS; do
  case $row in
    warm) warm_row "cloud $(fs_of "$W")" "$(objtree cloud-amd64)" "$W" ;;
    tmpfs) warm_row "cloud tmpfs" "$(objtree cloud-amd64)" "$S" ;;
    cold) cold_row "$(objtree cloud-amd64)" "$W/cold" ;;
    generic) warm_row "generic $(fs_of "$W")" "$(objtree amd64)" "$W/g" ;;
    *) echo "unknown row $row (warm tmpfs cold generic)" >&2; exit 2 ;;
  esac
done
# Linear in bytes: the generic flavour against the cloud kernel, per GB of modules read.
for a in "cloud $(fs_of "$W")" "generic $(fs_of "$W")"; do
  [ -n "${MED_T[$a: elfhash seal]:-}" ] || continue
  obj=$W/obj-$([ "${a%% *}" = cloud ] && echo cloud-amd64 || echo amd64)
  gb=$(find -L "$obj" -name '*.ko' -printf '%s\n' | awk '{s += $1} END {printf "%.3f", s / 1e9}')
  printf '  %-46s %.3f s wall, %.3f s cpu per GB of modules (%s GB)\n' "$a: elfhash seal" \
    "$(echo "${MED_T[$a: elfhash seal]} / $gb" | bc -l)" "$(echo "${MED_CPU[$a: elfhash seal]} / $gb" | bc -l)" "$gb"
done
load_note
