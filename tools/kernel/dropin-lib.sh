# Shared by the kernel-build clients of the drop-in objcopy/strip (tools/tests/kernel_dropin_test.sh,
# x86-64; tools/kernel/arm64-dropin.sh, the arm64 cross build; docs/kernel-tests.md). Source it; run
# inside a private mount namespace (dropin_enter_namespace) as root.
#
# The method: a kernel tree already built with GNU binutils is mounted with an overlay at its own
# path (objtool and the .cmd files record absolute paths: anywhere else kbuild rebuilds
# everything), and make runs with OBJCOPY/STRIP naming logging wrappers. kbuild's if_changed
# re-runs exactly the commands whose line names them, and what depends on their outputs; what does
# not name them (vmlinux's link runs the x86 postlink objcopy) is forced by deleting its output.
# Done once with wrappers of GNU's tools (the reference layer, cached) and once, on top of that
# layer, with wrappers of elfhash links, the two runs make the same calls and must write the same
# bytes.
#
# Callers set: DROPIN_NAMES (tool names the wrappers provide), DROPIN_OBJCOPY / DROPIN_STRIP (which
# of them kbuild's OBJCOPY and STRIP name), DROPIN_MAKE (make arguments: ARCH=..., CROSS_COMPILE=...),
# DROPIN_TARGETS (what to build before modules_install), DROPIN_FORCE (outputs to delete first).

# dropin_enter_namespace "$0" "$@": re-executes the caller in a mount namespace of its own, so
# other users of the cached tree never see the overlays, which go when the process ends.
dropin_enter_namespace() {
  [ -z "${ELFHASH_DROPIN_NS:-}" ] || return 0
  command -v unshare >/dev/null || { echo "dropin: unshare missing (util-linux)" >&2; return 2; }
  ELFHASH_DROPIN_NS=1 exec unshare --mount --propagation private bash "$@"
}

# dropin_wrappers BIN REAL LOG: BIN/<name> runs REAL/<name> and appends one line to LOG per call:
# "<name> rc=<exit> cwd=<dir> <arg>[=<sha256 prefix of the file it names, after the call>]...".
# One printf of a short line under O_APPEND: the lines of parallel calls do not interleave.
dropin_wrappers() {
  mkdir -p "$1" && : > "$3"
  local n
  for n in $DROPIN_NAMES; do
    cat > "$1/$n" <<EOF
#!/bin/bash
"$2/$n" "\$@"; rc=\$?
line="$n rc=\$rc cwd=\$PWD"
for a in "\$@"; do line+=" \$a"; [ -f "\$a" ] && line+="=\$(sha256sum < "\$a" | cut -c1-16)"; done
printf '%s\n' "\$line" >> "$3"
exit \$rc
EOF
    chmod +x "$1/$n"
  done
}

# dropin_build TREE LOWERDIRS UPPER BIN INSTALL LOG: mounts the tree with that layer stack at TREE,
# makes $DROPIN_TARGETS and modules_install (INSTALL_MOD_STRIP=1) through the tools in BIN (first
# in PATH as well), unmounts.
dropin_build() {
  local tree=$1 lower=$2 up=$3 bin=$4 inst=$5 log=$6 f rc
  local tools=("OBJCOPY=$bin/$DROPIN_OBJCOPY" "STRIP=$bin/$DROPIN_STRIP")
  mkdir -p "$up" "$up.work" && rm -rf "$inst" || return 1
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$up,workdir=$up.work" "$tree" || return 1
  for f in $DROPIN_FORCE; do rm -f "$tree/$f"; done
  # shellcheck disable=SC2086
  PATH=$bin:$PATH make -C "$tree" $DROPIN_MAKE "${tools[@]}" -j"$(nproc)" $DROPIN_TARGETS > "$log" 2>&1 &&
    PATH=$bin:$PATH make -C "$tree" $DROPIN_MAKE "${tools[@]}" INSTALL_MOD_PATH="$inst" \
      INSTALL_MOD_STRIP=1 modules_install >> "$log" 2>&1
  rc=$?
  umount "$tree" || rc=1
  rm -rf "$up.work"
  return $rc
}

# dropin_calls LOG TREE INSTALL: the call log in a comparable form, sorted (parallel make). Kconfig's
# probes (syncconfig re-runs: OBJCOPY is one of its inputs) and gcc use temporary names.
dropin_calls() {
  sed -E -e "s#$2#TREE#g" -e "s#$3#INSTALL#g" -e 's#[^ ]*/tmp\.[A-Za-z0-9]{10}#MKTEMP#g' \
    -e 's#\.tmp_[0-9]+/#.tmp_PID/#g' "$1" | LC_ALL=C sort
}

# dropin_diff_layer UPPER VIEW_A BIN_A VIEW_B BIN_B: prints the files of the layer UPPER (those a
# run wrote) whose bytes differ between the two views of the tree; a .cmd file may differ by the
# tools' directory only.
dropin_diff_layer() {
  local f
  (cd "$1" && find . -type f | LC_ALL=C sort) | while read -r f; do
    cmp -s "$2/$f" "$4/$f" && continue
    if [[ $f = *.cmd ]] && cmp -s <(sed "s#$3#BIN#g" "$2/$f") <(sed "s#$5#BIN#g" "$4/$f"); then continue; fi
    echo "${f#./}"
  done
}

# dropin_load_order MODDIR: the installed modules, dependencies first (modules.dep; modprobe loads
# a module's list from its end), on one line.
dropin_load_order() {
  python3 - "$1" <<'EOF'
import sys
d = sys.argv[1]
deps = {}
for line in open(d + "/modules.dep"):
    m, _, rest = line.partition(":")
    deps[m] = rest.split()
out = []
def visit(m):
    if m in out: return
    for x in reversed(deps.get(m, [])): visit(x)
    out.append(m)
for line in open(d + "/modules.order"):
    visit(line.strip())
print(" ".join(out))
EOF
}

# The two runs and the checks, for a caller that has sourced tools/tests/kernel_lib.sh (check,
# setup_fail, now, elapsed, boot_summary) and set the DROPIN_* variables.

# dropin_reference TREE REF: the GNU run (wrappers of /usr/bin's tools) into the cache directory
# REF (bin/, calls.log, up/, install/, make.log), once: REF/.complete marks it done.
dropin_reference() {
  [ ! -f "$2/.complete" ] || return 0
  local t; t=$(now)
  dropin_wrappers "$2/bin" /usr/bin "$2/calls.log"
  dropin_build "$1" "$1" "$2/up" "$2/bin" "$2/install" "$2/make.log" ||
    { tail -n 20 "$2/make.log" >&2; setup_fail "GNU reference run failed (log: $2/make.log)"; }
  touch "$2/.complete"
  echo "# GNU reference run ($DROPIN_TARGETS, modules_install; objcopy/strip steps redone through logging wrappers): $(elapsed "$t")s, cached in $2"
}

# dropin_elfhash_run TREE REF WORK ELFHASH: the same on top of REF's layer, through wrappers of
# links named $DROPIN_NAMES to ELFHASH (WORK/links), into WORK.
dropin_elfhash_run() {
  local n t rc
  mkdir -p "$3/links"
  for n in $DROPIN_NAMES; do ln -sf "$4" "$3/links/$n"; done
  dropin_wrappers "$3/bin" "$3/links" "$3/calls.log"
  t=$(now)
  dropin_build "$1" "$2/up:$1" "$3/up" "$3/bin" "$3/install" "$3/make.log"
  rc=$?
  echo "# elfhash run: $(elapsed "$t")s"
  check "make $DROPIN_TARGETS && modules_install INSTALL_MOD_STRIP=1 with elfhash links named $DROPIN_NAMES" $rc \
    "$(tail -n 5 "$3/make.log" | tr '\n' ' ')"
}

# dropin_check_calls TREE REF WORK MIN: both call logs compared; MIN calls at least. Then each
# "description|extended regex" line on stdin must match a call of the elfhash run.
dropin_check_calls() {
  local w=$3 ng ne what pat
  dropin_calls "$2/calls.log" "$1" "$2/install" > "$w/gnu.calls"
  dropin_calls "$w/calls.log" "$1" "$w/install" > "$w/eh.calls"
  ng=$(wc -l < "$w/gnu.calls") ne=$(wc -l < "$w/eh.calls")
  [ "$ne" = "$ng" ] && [ "$ne" -ge "$4" ]
  check "$ne objcopy/strip calls reached elfhash, GNU's run made $ng (at least $4)" $?
  grep -v ' rc=0 ' "$w/eh.calls" "$w/gnu.calls" > "$w/failed.calls"
  check "every call exits 0, on both sides" $([ ! -s "$w/failed.calls" ]; echo $?) "$(head -c 600 "$w/failed.calls")"
  diff "$w/gnu.calls" "$w/eh.calls" > "$w/calls.diff"
  check "the same command lines, and every file they name has GNU's bytes after the call" $? \
    "$(head -c 1500 "$w/calls.diff")"
  while IFS='|' read -r what pat; do
    grep -E "$pat" "$w/eh.calls" >/dev/null
    check "kbuild step reached elfhash: $what" $?
  done
  local nmods n
  nmods=$(wc -l < "$1/modules.order")
  n=$(grep -cE "^$DROPIN_STRIP .* --strip-debug INSTALL/lib/modules/.*\.ko=" "$w/eh.calls")
  check "modules_install: strip --strip-debug of each of the $nmods modules reached elfhash" \
    $([ "$n" = "$nmods" ]; echo $?) "$n calls"
}

# dropin_check_trees TREE REF WORK KERNEL_IMAGE ARTEFACT...: every file of the elfhash run's layer,
# each ARTEFACT (rebuilt by it, and identical) and the installed tree against GNU's; copies
# KERNEL_IMAGE of the elfhash run to WORK/kernel.
dropin_check_trees() {
  local tree=$1 ref=$2 w=$3 image=$4 f bad; shift 4
  mkdir -p "$w/gnu" "$w/eh"
  mount -t overlay overlay -o "lowerdir=$ref/up:$tree" "$w/gnu" || setup_fail "mounting the GNU view failed"
  mount -t overlay overlay -o "lowerdir=$w/up:$ref/up:$tree" "$w/eh" || setup_fail "mounting the elfhash view failed"
  bad=$(dropin_diff_layer "$w/up" "$w/eh" "$w/bin" "$w/gnu" "$ref/bin")
  check "all $(find "$w/up" -type f | wc -l) files the elfhash run wrote are GNU's bytes (.cmd: but the tool path)" \
    "$([ -z "$bad" ]; echo $?)" "$(echo $bad)"
  for f in "$@"; do
    [ -f "$w/up/$f" ] && cmp -s "$w/eh/$f" "$w/gnu/$f"
    check "rebuilt with elfhash and identical to GNU's: $f" $? "$([ -f "$w/up/$f" ] || echo 'not rebuilt')"
  done
  diff -r --no-dereference "$ref/install" "$w/install" > "$w/install.diff"
  check "installed module tree ($(wc -l < "$tree/modules.order") modules, modules.dep, ...) identical to GNU's" $? \
    "$(head -c 600 "$w/install.diff")"
  cp "$w/eh/$image" "$w/kernel"
  umount "$w/gnu" "$w/eh"
}

# dropin_check_boot TREE WORK ARCH TIMEOUT: WORK/kernel boots (boot.sh --arch ARCH) and loads every
# module the elfhash run installed, dependencies first.
dropin_check_boot() {
  local w=$2 kver mdir order out t rc m b line
  kver=$(cat "$1/include/config/kernel.release")
  mdir=$w/install/lib/modules/$kver
  order=$(dropin_load_order "$mdir") || setup_fail "reading modules.dep failed"
  out=$w/boot
  t=$(now)
  bash "$(dirname "${BASH_SOURCE[0]}")/boot.sh" --arch "$3" --kernel "$w/kernel" --modules-dir "$mdir" \
    --load "$order" --timeout "$4" --log "$out.console" > "$out" 2> "$out.err"
  rc=$?
  echo "# boot of the elfhash-built kernel ($3, TCG): $(elapsed "$t")s (boot.sh exit $rc); $(boot_summary "$out")"
  grep -q "^ELFHASH-START $kver " "$out" && grep -qx ELFHASH-DONE "$out"
  check "the elfhash-built kernel boots $kver and reaches ELFHASH-DONE" $? "$(tail -n 5 "$out.err" | tr '\n' ' ')"
  for m in $order; do
    b=$(basename "$m" .ko)
    line=$(grep "^ELFHASH-INSMOD $b " "$out")
    check "elfhash-stripped module loads: $b" "$([ "$line" = "ELFHASH-INSMOD $b ok" ]; echo $?)" "${line:-no line}"
  done
}
