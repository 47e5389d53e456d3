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
