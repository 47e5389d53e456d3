#!/bin/bash
# Builds the libFuzzer targets in tools/fuzz/ with clang-14 (-fsanitize=fuzzer,address,undefined) and
# runs them. Exits non-zero if any target crashes, leaks, hangs or fails to build. See
# docs/threat-model.md.
#
#   tools/fuzz.sh --replay [TARGET...]     CI: no mutation. Every target executes each seed (the
#                                          generated fixtures and hostile corpus) and every checked-in
#                                          input under testdata/fuzz/TARGET/ (past findings and the
#                                          minimised campaign corpus) exactly once. Deterministic.
#   tools/fuzz.sh [SECONDS] [TARGET...]    random fuzzing for SECONDS per target (default 60)
#   tools/fuzz.sh --campaign [TARGET...]   long random campaign: FUZZ_RUNS executions per target
#                                          (default 10^7), never in CI
#
# Environment: FUZZ_OUT (work dir, default /tmp/elfhash-fuzz; corpora persist there between runs),
# FUZZ_JOBS (parallel libFuzzer workers per target, default 1), CLANGXX (default clang++-14).
# Crashers land in $FUZZ_OUT/crashes/TARGET-*; reproduce with: $FUZZ_OUT/bin/TARGET FILE, and add them
# to testdata/fuzz/TARGET/ once fixed so that every later CI run replays them.
# Bazel's toolchain is g++, so the fuzzers are built here with a plain compiler command line from the
# sources in elf/ and merkle/ (includes relative to the repo root), not by Bazel.
set -u
cd "$(dirname "$0")/.."
mode=timed secs=60
case ${1:-} in
  --replay) mode=replay; shift ;;
  --campaign) mode=campaign; shift ;;
  ''|-*) ;;
  *) [[ $1 =~ ^[0-9]+$ ]] && { secs=$1; shift; } ;;
esac
out=${FUZZ_OUT:-/tmp/elfhash-fuzz}
cxx=${CLANGXX:-clang++-14}
jobs=${FUZZ_JOBS:-1}
# One line: tools/tests/fuzz_replay_test.sh reads it.
all_targets=(fuzz_reader fuzz_objcopy fuzz_trailer fuzz_module_hashes fuzz_inspect fuzz_order fuzz_cli fuzz_kernel_image fuzz_decompress)
targets=("$@")
[ $# -eq 0 ] && targets=("${all_targets[@]}")
mkdir -p "$out"/{obj,bin,seeds,corpus,crashes,fixtures}

flags=(-std=c++20 -g -O1 -I. -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=undefined)

# 1. Library objects: every non-test source under elf/, merkle/ and tools/cli/ (but main.cc) (a file
#    that does not compile right now, e.g. mid-edit by someone else, is skipped; the targets needing
#    it then fail to link).
lib=()
# Subfolders too (merkle/compression/, merkle/kernel/, merkle/modsig/, merkle/install/): sorted, so the
# link order is the same on every machine.
newest_header=$(ls -t $(find elf merkle tools/cli testdata/hostile -name '*.h') | sed -n 1p)  # sed reads all: no early exit
for src in $(find elf merkle tools/cli -name '*.cc' | LC_ALL=C sort) testdata/hostile/hostile.cc; do
  case $src in *_test.cc | */test_util.cc | tools/cli/main.cc) continue ;; esac
  obj=$out/obj/$(echo "$src" | tr / _).o
  # Rebuilt when its source, any header of the tree (a changed signature elsewhere must not leave a
  # stale object that fails to link) or this script is newer.
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ] || [ "$0" -nt "$obj" ]; then
    if ! $cxx "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2>"$obj.log"; then
      echo "fuzz.sh: warning: $src does not compile, skipped (see $obj.log)"
      rm -f "$obj"
      continue
    fi
  fi
  lib+=("$obj")
done
readers=()  # the objects fuzz_reader needs: it must always build
for o in "${lib[@]}"; do case $o in *elf_reader.cc.o | *elf_mapped_file.cc.o | *elf_error.cc.o | *elf_cleanup.cc.o) readers+=("$o") ;; esac; done

# 2. Seeds: the generated fixtures and the hostile corpus (testdata/README.md).
if [ ! -f "$out/fixtures/vmlinux.unstripped" ] || [ -n "$(find testdata/src testdata/make_fixtures.sh -newer "$out/fixtures/vmlinux.unstripped")" ]; then
  testdata/make_fixtures.sh "$out/fixtures" || { echo "fuzz.sh: make_fixtures.sh failed"; exit 1; }
fi
hostile_bin=$out/bin/make_hostile
if $cxx "${flags[@]}" testdata/hostile/make_hostile.cc "$out/obj/testdata_hostile_hostile.cc.o" "${readers[@]}" \
     -lfmt -o "$hostile_bin" 2>"$out/bin/make_hostile.log"; then
  mkdir -p "$out/hostile" && "$hostile_bin" "$out/fixtures" "$out/hostile"
fi
raw=$out/seeds/raw
rm -rf "$raw" "$out/seeds/objcopy" && mkdir -p "$raw" "$out/seeds/objcopy"
# Inputs over 1 MiB (many-sections.o and its variants) would only slow every run down: small inputs
# reach extended numbering too (e_shnum = 0 with a small count in section 0).
find "$out/fixtures" "$out/hostile" -type f -size -1024k -exec cp {} "$raw"/ \; 2>/dev/null
# fuzz_objcopy: option records, then the ELF (tools/fuzz/fuzz_objcopy.cc). Each file is seeded with
# one of the kernel's command lines (spec §5): plain copy, --strip-debug, --strip-unneeded,
# -R .modinfo, -R '.rel*', and kbuild's vmlinux objcopy (noload flags, removals, -w and
# --strip-unneeded-symbol) plus an --add-section, an --update-section and a NOBITS gaining contents.
objcopy_opts=('\x00' '\x01\x03\x01' '\x01\x03\x02' '\x01\x00.modinfo\x00' '\x01\x00.rel*\x00'
  '\x06\x02.modinfo\x00\x04\x00\x02.rel*\x00\x04\x00\x00.modinfo\x00\x00.rel*\x00\x04\x01\x06__mod_device_table__*\x00'
  '\x03\x07.x\x00\x03abc\x08.modinfo\x00\x02ab\x02.bss*\x00\x03\x04')
i=0
for f in "$raw"/*; do
  { printf "${objcopy_opts[$((i % ${#objcopy_opts[@]}))]}"; cat "$f"; } >"$out/seeds/objcopy/$(basename "$f")"
  i=$((i + 1))
done
# An ar archive of two fixtures (copy_archive): with --strip-debug, and plain.
if (cd "$out/fixtures" && rm -f "$out/seeds/lib.a" && ar rcD "$out/seeds/lib.a" x86_64-module.o cross-i386.o) 2>/dev/null; then
  { printf '\x01\x03\x01'; cat "$out/seeds/lib.a"; } >"$out/seeds/objcopy/archive-strip-debug"
  { printf '\x00'; cat "$out/seeds/lib.a"; } >"$out/seeds/objcopy/archive-copy"
  rm -f "$out/seeds/lib.a"
fi
# fuzz_order: modules.order texts; fuzz_cli: a command byte (objcopy, strip, seal, tree), then argv
# split on NUL bytes.
rm -rf "$out/seeds/order" "$out/seeds/cli" && mkdir -p "$out/seeds/order" "$out/seeds/cli"
printf 'drivers/a.o\nfs/sub/b.o\nc.o\n' >"$out/seeds/order/three"
printf 'a.o\na.o' >"$out/seeds/order/repeated-no-newline"
printf 'a.o\n\nb.ko\n' >"$out/seeds/order/bad-lines"
printf '\x00-R\x00.modinfo\x00--set-section-flags=.bss=alloc,load,contents\x00-w\x00--add-section\x00.x=f\x00in.o\x00out.o' >"$out/seeds/cli/objcopy"
printf '\x01--strip-debug\x00-o\x00out\x00-j4\x00-N\x00sym\x00in' >"$out/seeds/cli/strip"
printf '\x02--objtree\x00d\x00--out\x00s\x00--install-mod-strip\x00--strip-unneeded -R .x\x00--compress=xz\x00-j\x002' >"$out/seeds/cli/seal"
printf '\x03--suffix\x00.ko\x00--proofs-out\x00p\x00--endian\x00big\x00--json\x00--order=m' >"$out/seeds/cli/tree"

# fuzz_decompress: a fixture compressed by each CLI a kernel build uses (with kbuild's 4-byte size
# appended, as arch/x86/boot/compressed does), behind the format byte that picks the codec
# (compression::Format: 1 gzip, 2 bzip2, 3 lzma, 4 xz, 5 lzo, 6 lz4, 7 zstd; tools/fuzz/fuzz_decompress.cc).
# fuzz_kernel_image: the vmlinux fixture as ELF, gzip'd, and inside a minimal bzImage built here.
rm -rf "$out/seeds/decompress" "$out/seeds/kernel" && mkdir -p "$out/seeds/decompress" "$out/seeds/kernel"
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"; }
plain=$out/fixtures/x86_64-module.o
vmlinux=$out/fixtures/vmlinux.unstripped
# lzma and xz with 64 KiB dictionaries (the target bounds decoder memory at 1 MiB, fuzz_decompress.cc),
# bzip2 with 100 KB blocks: each execution allocates what the header asks.
codecs=('1 gzip gzip -9 -n -c' '2 bzip2 bzip2 -1 -c' '3 lzma xz --format=lzma --lzma1=preset=9,dict=64KiB -c'
        '4 xz xz --check=crc32 --lzma2=preset=6,dict=64KiB -c' '5 lzop lzop -9 -c' '6 lz4-legacy lz4 -l -9 -c'
        '7 zstd zstd -19 -q -c' '6 lz4 lz4 -9 -c')
for c in "${codecs[@]}"; do
  read -r byte name tool args <<<"$c"
  # Missing CLIs (tools/setup.sh installs them) only cost a seed.
  $tool $args <"$plain" >"$out/seeds/decompress/$name.z" 2>/dev/null || { rm -f "$out/seeds/decompress/$name.z"; continue; }
  { printf "\\x$(printf %02x "$byte")"; cat "$out/seeds/decompress/$name.z"; le32 "$(stat -c %s "$plain")"; } >"$out/seeds/decompress/$name"
  rm -f "$out/seeds/decompress/$name.z"
done
cp "$vmlinux" "$out/seeds/kernel/vmlinux"
gzip -9 -n -c <"$vmlinux" >"$out/seeds/kernel/vmlinux.gz"  # -n: no name or time, the same seed every run
# bzImage (Documentation/arch/x86/boot.rst), what kernel_image.cc reads: setup_sects 1 at 0x1f1,
# "HdrS" at 0x202, protocol 2.15 at 0x206, kernel_version at 0x20e (+0x200), payload_offset 0 and
# payload_length at 0x248/0x24c; the payload (gzip of the vmlinux, size appended) at (1 + 1) * 512.
{
  head -c $((0x1f1)) /dev/zero; printf '\x01'; head -c $((0x202 - 0x1f2)) /dev/zero
  printf 'HdrS\x0f\x02'; head -c $((0x20e - 0x208)) /dev/zero; printf '\x60\x00'
  head -c $((0x248 - 0x210)) /dev/zero; le32 0; le32 $(($(stat -c %s "$out/seeds/kernel/vmlinux.gz") + 4))
  head -c $((0x260 - 0x250)) /dev/zero; printf '6.1.0-fuzz (fuzz@elfhash) #1 SMP\x00'
  head -c $((1024 - 0x260 - 33)) /dev/zero
  cat "$out/seeds/kernel/vmlinux.gz"; le32 "$(stat -c %s "$vmlinux")"
} >"$out/seeds/kernel/bzImage"

build() {  # build TARGET: links tools/fuzz/TARGET.cc against the library objects
  local t=$1 objs=("${lib[@]}")
  [ "$t" = fuzz_reader ] && objs=("${readers[@]}")
  local filtered=()
  for o in "${objs[@]}"; do [[ $o == *hostile* ]] || filtered+=("$o"); done
  $cxx "${flags[@]}" -fsanitize=fuzzer "tools/fuzz/$t.cc" "${filtered[@]}" -lfmt -lcrypto -lz -lbz2 -llzo2 -llz4 -llzma -lzstd -lpthread \
    -o "$out/bin/$t" 2>"$out/bin/$t.log"
}

status=0
summary=()
for t in "${targets[@]}"; do
  if ! build "$t"; then
    # Every target's code exists: a link failure is a defect (a new library the line above lacks).
    echo "fuzz.sh: $t failed to build:"; tail -20 "$out/bin/$t.log"; status=1
    summary+=("$t: BUILD FAILED")
    continue
  fi
  case $t in
    fuzz_objcopy) seeds=$out/seeds/objcopy ;;
    fuzz_order) seeds=$out/seeds/order ;;
    fuzz_cli) seeds=$out/seeds/cli ;;
    fuzz_decompress) seeds=$out/seeds/decompress ;;
    fuzz_kernel_image) seeds=$out/seeds/kernel ;;
    *) seeds=$raw ;;
  esac
  mkdir -p "$out/corpus/$t"
  checked_in=testdata/fuzz/$t
  inputs=("$seeds")
  [ -d "$checked_in" ] && inputs+=("$PWD/$checked_in")
  # -jobs makes libFuzzer write fuzz-N.log files into the current directory: only pass it when
  # asked for parallel workers, and run from $out so nothing lands in the source tree.
  par=()
  [ "$jobs" -gt 1 ] && par=(-jobs="$jobs" -workers="$jobs")
  case $mode in
    # -runs=0: execute the initial inputs once each, no mutation, no corpus writes.
    replay) what="replay"; run=(-runs=0 "${inputs[@]}") ;;
    campaign) what="${FUZZ_RUNS:-10000000} runs"; run=("$out/corpus/$t" "${inputs[@]}" -runs="${FUZZ_RUNS:-10000000}") ;;
    timed) what="${secs}s"; run=("$out/corpus/$t" "${inputs[@]}" -max_total_time="$secs") ;;
  esac
  echo "fuzz.sh: running $t ($what)"
  (cd "$out" && "$out/bin/$t" "${run[@]}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=1048576 "${par[@]}" -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$t-") >"$out/$t.log" 2>&1
  rc=$?
  execs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | awk '{s += $2} END {print s + 0}')
  if [ $rc != 0 ]; then
    status=1
    summary+=("$t: FAILED (exit $rc) after $execs runs; see $out/$t.log and $out/crashes/")
    grep -m3 -E 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error' "$out/$t.log"
  else
    summary+=("$t: ok, $execs runs ($what), corpus $(ls "$out/corpus/$t" | wc -l) inputs")
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
