#!/usr/bin/env bash
# Fault injection (docs/cli.md "Temporary files, signals and publication", docs/seal.md "Publication"):
# SIGINT/SIGTERM/SIGHUP clean up and end the process by the signal; SIGKILL leftovers are removed by the
# next run; inputs that change, vanish or shrink during a run are reported and nothing is installed;
# ENOSPC, EACCES and EROFS fail cleanly; SIGKILL at 50 fixed points of `seal` and of `strip` leaves
# every target entirely old or entirely new and a rerun succeeds; two seals into one STAGING: one wins.
# Runs as root outside Bazel's sandbox (tools/test.sh): it mounts small tmpfs file systems and drops to
# uid 65534 with setpriv. Moments inside a run are reached with the ELFHASH_STOP_AT hook
# (elf/cleanup.h): the process stops itself there, the test acts, then sends SIGCONT.
#   ELFHASH=path/to/elfhash FIXTURES=bazel-bin/testdata bash tools/tests/faults_test.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
E=$(realpath "${ELFHASH:-$here/../../bazel-bin/tools/elfhash}")
FX=$(realpath "${FIXTURES:-$here/../../bazel-bin/testdata}")
[ -x "$E" ] && [ -f "$FX/vmlinux.unstripped" ] || { echo "faults_test: needs ELFHASH and FIXTURES (bazel build -c opt //tools:elfhash //testdata:fixtures)"; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-faults.XXXXXX")
mounts=()
cleanup() {
  local m
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
cd "$T" || exit 2
REL=6.1.0-faults
MODS=(x86_64-module cross-i386 cross-powerpc64 cross-s390x)

mkobj() {  # mkobj DIR [variant]: a kbuild-like objtree; variant 2 has other module bytes (another .modinfo)
  rm -rf "$1" && mkdir -p "$1/include/config" "$1/drivers" || return 1
  cp "$FX/vmlinux.unstripped" "$1/" && echo v2 > "$1/v2note" || return 1
  local m
  for m in "${MODS[@]}"; do
    cp "$FX/$m.o" "$1/drivers/$m.ko" || return 1
    [ "${2:-1}" = 1 ] || "$E" objcopy --add-section .note.v2="$1/v2note" "$1/drivers/$m.ko" || return 1
    echo "drivers/$m.o" >> "$1/modules.order"
  done
  chmod -R u+w "$1"
  echo "$REL" > "$1/include/config/kernel.release"
}
tree_sum() { (cd "$1" && find . -printf '%y %m %p\n' | LC_ALL=C sort && find . -type f | LC_ALL=C sort | xargs -r sha256sum); }
entry_sum() { (cd "$1" && find "$2" -printf '%y %m %p\n' | LC_ALL=C sort && find "$2" -type f | LC_ALL=C sort | xargs -r sha256sum) 2>&1; }
leftovers() { find "$@" -maxdepth 1 -name '*.elfhash-*' 2>/dev/null; }
no_leftovers() { local l; l=$(leftovers "$@"); [ -z "$l" ] || { echo "left behind: $l"; return 1; }; }

# stopped PID: waits until PID has stopped itself (state T) or exited.
stopped() {
  local i s
  for i in $(seq 500); do
    s=$(sed -n 's/^[0-9]* ([^)]*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "$s" = T ] && return 0
    [ -z "$s" ] && return 1
    sleep 0.01
  done
  return 1
}
# signal_run SIG POINT DIR CMD...: runs CMD until it stops at POINT, checks a temporary exists in DIR,
# sends SIG then SIGCONT; prints how the process ended, as Python's subprocess sees it (-N: by signal N).
signal_run() {
  python3 - "$@" <<'PY'
import os, signal, subprocess, sys, time, glob
sig, point, d, cmd = getattr(signal, "SIG" + sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
p = subprocess.Popen(cmd, env=dict(os.environ, ELFHASH_STOP_AT=point), stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
for _ in range(500):
    st = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()[0]
    if st in "TZ": break
    time.sleep(0.01)
tmp = [f for f in os.listdir(d) if ".elfhash-" in f]
os.kill(p.pid, sig); os.kill(p.pid, signal.SIGCONT)
print(p.wait(), "temp" if tmp else "no-temp")
PY
}

# --- signals ---------------------------------------------------------------------------------------
mkobj obj
mkobj new 2  # the same objtree with other module bytes: the "new" side of a replacement
"$E" seal --objtree new --out ref-new > /dev/null || exit 2
"$E" strip -g -o ref-strip.o obj/drivers/x86_64-module.ko || exit 2
for sig in INT TERM HUP; do
  n=$(python3 -c "import signal; print(int(signal.SIG$sig))")
  mkdir -p "s-$sig"
  check "SIG$sig during strip -o: temp removed, process ends by SIG$sig" bash -c \
    "r=\$($(declare -f signal_run); signal_run $sig written s-$sig '$E' strip -g -o s-$sig/out.o obj/drivers/x86_64-module.ko); echo \"\$r\"; [ \"\$r\" = '-$n temp' ] && [ -z \"\$(ls -A s-$sig)\" ]"
  mkdir -p "o-$sig" && cp obj/drivers/x86_64-module.ko "o-$sig/in.o"
  check "SIG$sig during objcopy in place: temp removed, input untouched, ends by SIG$sig" bash -c \
    "r=\$($(declare -f signal_run); signal_run $sig written o-$sig '$E' objcopy -g o-$sig/in.o); echo \"\$r\"; [ \"\$r\" = '-$n temp' ] && [ \"\$(ls -A o-$sig)\" = in.o ] && cmp o-$sig/in.o obj/drivers/x86_64-module.ko"
  mkdir -p "p-$sig"
  check "SIG$sig during seal: staging tree and new STAGING removed, ends by SIG$sig" bash -c \
    "r=\$($(declare -f signal_run); signal_run $sig hashed p-$sig '$E' seal --objtree obj --out p-$sig/st --install-mod-strip=1); echo \"\$r\"; [ \"\$r\" = '-$n temp' ] && [ -z \"\$(ls -A p-$sig)\" ]"
done
"$E" seal --objtree obj --out old-st > /dev/null || exit 2
old_sum=$(tree_sum old-st)
check "SIGINT during seal into an existing STAGING: it stays as it was, byte for byte" bash -c \
  "r=\$($(declare -f signal_run); signal_run INT hashed . '$E' seal --objtree obj --out old-st --install-mod-strip=1); echo \"\$r\"; $(declare -f tree_sum); [ \"\$r\" = '-2 temp' ] && [ \"\$(tree_sum old-st)\" = '$old_sum' ] && [ -z \"\$(ls -a | grep elfhash-)\" ]"

# --- SIGKILL leftovers, stale removal -------------------------------------------------------------
mkdir -p k && cp obj/drivers/x86_64-module.ko k/m.o
ELFHASH_STOP_AT=written "$E" strip -g k/m.o & pid=$!
stopped $pid; kill -KILL $pid; wait $pid 2>/dev/null
check "SIGKILL leaves .m.o.elfhash-<pid>-XXXXXX" bash -c "ls -a k | grep -x '\.m\.o\.elfhash-$pid-......' >/dev/null"
ELFHASH_STOP_AT=written "$E" strip -g -o k/other.o obj/drivers/cross-i386.ko & live=$!
stopped $live
check "the next run into the directory removes the stale temp, not a live run's" bash -c \
  "'$E' strip -g k/m.o && cmp k/m.o ref-strip.o && [ -z \"\$(ls -a k | grep elfhash-$pid-)\" ] && ls -a k | grep 'elfhash-$live-' >/dev/null"
kill -KILL $live; wait $live 2>/dev/null
rm -rf k
mkdir -p ks
ELFHASH_STOP_AT=hashed "$E" seal --objtree obj --out ks/st & pid=$!
stopped $pid; kill -KILL $pid; wait $pid 2>/dev/null
check "SIGKILL during seal leaves .st.elfhash-seal-<pid>-XXXXXX" bash -c "ls -a ks | grep -x '\.st\.elfhash-seal-$pid-......' >/dev/null"
check "the next seal removes it and succeeds" bash -c "'$E' seal --objtree obj --out ks/st >/dev/null && [ -z \"\$(ls -a ks | grep elfhash-)\" ] && [ -f ks/st/vmlinux ]"

# --- inputs that change, vanish or shrink ----------------------------------------------------------
# stop_run POINT ACTION CMD...: runs CMD to POINT, runs ACTION (a shell command), continues; prints rc.
stop_run() {
  local point=$1 action=$2; shift 2
  ELFHASH_STOP_AT=$point "$@" > out.log 2> err.log & local pid=$!
  stopped $pid || { echo "did not stop at $point"; return 1; }
  bash -c "$action"
  kill -CONT $pid
  wait $pid
}
changed() {  # changed RC: rc 2 and the message, no temp left in .
  [ "$1" = 2 ] && grep 'input changed while elfhash was using it' err.log >/dev/null && no_leftovers . || { cat err.log; return 1; }
}
cp "$FX/vmlinux.unstripped" v.in && chmod u+w v.in
stop_run written "echo x >> v.in" "$E" objcopy -g v.in v.out; rc=$?
check "input appended to during objcopy: reported, no output" bash -c "$(declare -f changed no_leftovers leftovers); changed $rc && [ ! -e v.out ]"
cp "$FX/vmlinux.unstripped" v.in && chmod u+w v.in
stop_run mapped "truncate -s 64 v.in" "$E" objcopy -g v.in v.out; rc=$?
check "input truncated under the mapping: no SIGBUS, reported, no output" bash -c "$(declare -f changed no_leftovers leftovers); changed $rc && [ ! -e v.out ]"
cp "$FX/vmlinux.unstripped" v.in && chmod u+w v.in
stop_run written "rm v.in" "$E" objcopy -g v.in v.out; rc=$?
check "input removed during objcopy: reported, no output" bash -c "$(declare -f changed no_leftovers leftovers); changed $rc && [ ! -e v.out ]"
cp obj/drivers/x86_64-module.ko m.in
stop_run written "cp '$FX/cross-i386.o' m.new && mv m.new m.in" "$E" strip -g m.in; rc=$?
check "input replaced (another inode) during in-place strip: reported, the new file kept" bash -c "$(declare -f changed no_leftovers leftovers); changed $rc && cmp m.in '$FX/cross-i386.o'"
mkobj cobj
stop_run hashed "echo x >> cobj/vmlinux.unstripped" "$E" seal --objtree cobj --out cst --install-mod-strip=1; rc=$?
check "vmlinux.unstripped changed during seal: reported, nothing installed" bash -c "$(declare -f changed no_leftovers leftovers); changed $rc && [ ! -e cst ]"
mkobj cobj
stop_run hashed "rm cobj/vmlinux.unstripped" "$E" seal --objtree cobj --out cst; rc=$?
check "vmlinux.unstripped removed during seal: reported, nothing installed" bash -c "$(declare -f changed no_leftovers leftovers); changed $rc && [ ! -e cst ]"
mkobj cobj
cp cobj/drivers/cross-i386.ko old-i386.ko
# Same size, same inode, other bytes: what is installed must be what was hashed (the old bytes).
stop_run hashed "dd if=/dev/zero of=cobj/drivers/cross-i386.ko bs=1 seek=100 count=64 conv=notrunc status=none" \
  "$E" seal --objtree cobj --out cst; rc=$?
check "module rewritten in place after hashing (no strip): the installed module is the hashed one and verifies" bash -c \
  "[ $rc = 0 ] && '$E' verify --vmlinux cst/vmlinux cst/lib/modules/$REL/kernel/drivers/*.ko >/dev/null && cmp <(head -c \$(stat -c %s old-i386.ko) cst/lib/modules/$REL/kernel/drivers/cross-i386.ko) old-i386.ko"
cp obj/drivers/x86_64-module.ko s.in
stop_run written "dd if=/dev/zero of=s.in bs=1 seek=100 count=64 conv=notrunc status=none" "$E" strip -g s.in; rc=$?
check "module rewritten in place during strip: reported, file left as the other writer made it" bash -c \
  "$(declare -f changed no_leftovers leftovers); changed $rc && ! cmp -s s.in obj/drivers/x86_64-module.ko"
tail -c 108 "old-st/lib/modules/$REL/kernel/drivers/x86_64-module.ko" > proof  # 4 modules: 2 levels
cp obj/drivers/x86_64-module.ko sg.ko && "$E" sign --merkle proof sg.ko || exit 2
check "sign: module + proof" bash -c "cmp sg.ko <(cat obj/drivers/x86_64-module.ko proof)"
cp obj/drivers/x86_64-module.ko sg.ko
stop_run hashed "dd if=/dev/zero of=sg.ko bs=1 seek=100 count=64 conv=notrunc status=none" "$E" sign --merkle proof sg.ko; rc=$?
check "module rewritten in place while sign runs: reported, no trailer appended to the other writer's bytes" bash -c \
  "$(declare -f changed no_leftovers leftovers); changed $rc && [ \$(stat -c %s sg.ko) = \$(stat -c %s obj/drivers/x86_64-module.ko) ]"

# --- hard links: GNU strip 2.40 rewrites the shared inode ------------------------------------------
hard_links() {
  local tool
  for tool in gnu eh; do
    rm -rf "hl-$tool" && mkdir "hl-$tool" && cp obj/drivers/x86_64-module.ko "hl-$tool/a.o" && ln "hl-$tool/a.o" "hl-$tool/b.o" || return 1
    local ino; ino=$(stat -c %i "hl-$tool/a.o")
    if [ $tool = gnu ]; then strip --strip-debug "hl-$tool/a.o"; else "$E" strip --strip-debug "hl-$tool/a.o"; fi || return 1
    [ "$(stat -c '%i %h' "hl-$tool/a.o")" = "$ino 2" ] && cmp "hl-$tool/a.o" "hl-$tool/b.o" || { echo "$tool: inode/link/content"; return 1; }
  done
  cmp hl-gnu/a.o hl-eh/a.o && no_leftovers hl-eh
}
check "strip in place of a file with 2 hard links: same inode, both names see it, as GNU strip" hard_links

# --- publication: existing directories are not chmod-ed through symlinks ---------------------------
mkdir -p sym/real && chmod 0700 sym/real && mkdir -p sym/st && ln -s ../real sym/st/lib && touch sym/st/keep
check "seal into STAGING whose lib/ is a symlink: installed through it, the target's mode kept" bash -c \
  "'$E' seal --objtree obj --out sym/st >/dev/null && [ \"\$(stat -c %a sym/real)\" = 700 ] && [ -L sym/st/lib ] && [ -d sym/real/modules/$REL/kernel ] && [ -e sym/st/keep ]"
check "--fsync: strip, objcopy and seal succeed with the same bytes" bash -c \
  "$(declare -f tree_sum); '$E' strip -g --fsync -o fs.o obj/drivers/x86_64-module.ko && cmp fs.o ref-strip.o && '$E' objcopy -g --fsync obj/drivers/x86_64-module.ko fs2.o && cmp fs2.o ref-strip.o && '$E' seal --fsync --objtree obj --out fs-st >/dev/null && '$E' seal --objtree obj --out fs-st2 >/dev/null && [ \"\$(tree_sum fs-st)\" = \"\$(tree_sum fs-st2)\" ]"
fsyncs() { strace -f -qq -e trace=fsync -o fsync.trace "$@" > /dev/null && grep -c 'fsync(' fsync.trace; }
fsync_calls() {
  local n
  n=$(fsyncs "$E" strip -g -o fs3.o obj/drivers/x86_64-module.ko); [ "$n" = 0 ] || { echo "strip without --fsync: $n"; return 1; }
  n=$(fsyncs "$E" strip -g --fsync -o fs3.o obj/drivers/x86_64-module.ko); [ "$n" = 2 ] || { echo "strip --fsync: $n (file + directory expected)"; return 1; }
  n=$(fsyncs "$E" seal --objtree obj --out fs-st3); [ "$n" = 0 ] || { echo "seal without --fsync: $n"; return 1; }
  # 4 modules + modules.order + vmlinux, 5 new directories + the tree, STAGING's parent.
  n=$(fsyncs "$E" seal --fsync --objtree obj --out fs-st4); [ "$n" -ge 12 ] || { echo "seal --fsync: $n"; return 1; }
}
check "--fsync fsyncs the outputs and directories (strace), and nothing without it" fsync_calls

# --- two seals into the same STAGING at once -------------------------------------------------------
ELFHASH_STOP_AT=hashed "$E" seal --objtree obj --out two > /dev/null & first=$!
stopped $first
"$E" seal --objtree obj --out two > two.out 2> two.err; second=$?
kill -CONT $first; wait $first; first_rc=$?
check "two seals into one STAGING: the second fails at once (exit 2), the first installs" bash -c \
  "[ $second = 2 ] && grep 'another elfhash seal is writing into this directory' two.err >/dev/null && [ $first_rc = 0 ] && '$E' verify --vmlinux two/vmlinux two/lib/modules/$REL/kernel/drivers/*.ko >/dev/null && [ -z \"\$(ls -a | grep elfhash-)\" ]"

# --- ENOSPC, EROFS, EACCES ---------------------------------------------------------------------------
if mkdir -p small ro && mount -t tmpfs -o size=24k tmpfs small 2>/dev/null; then
  mounts+=("$T/small")
  check "ENOSPC: objcopy to a full file system fails (exit 2), no temp left" bash -c \
    "! '$E' objcopy '$FX/vmlinux.unstripped' small/v 2> err && grep 'No space left' err >/dev/null && [ -z \"\$(ls -A small)\" ]"
  check "ENOSPC: seal to a full file system fails (exit 2), nothing left" bash -c \
    "'$E' seal --objtree obj --out small/st 2> err; [ \$? = 2 ] && grep 'No space left' err >/dev/null && [ -z \"\$(ls -A small)\" ]"
  mount -t tmpfs -o size=1m tmpfs ro && mounts+=("$T/ro") && cp obj/drivers/x86_64-module.ko ro/m.o && mount -o remount,ro ro
  check "EROFS: in-place strip on a read-only file system fails (exit 2), file untouched" bash -c \
    "'$E' strip -g ro/m.o 2> err; [ \$? = 2 ] && grep 'Read-only file system' err >/dev/null && cmp ro/m.o obj/drivers/x86_64-module.ko"
  check "EROFS: seal onto a read-only file system fails (exit 2)" bash -c \
    "'$E' seal --objtree obj --out ro/st 2> err; [ \$? = 2 ] && grep 'Read-only file system' err >/dev/null"
  # The second swap of a publication fails (STAGING/vmlinux is a mount point: EBUSY): the first one
  # (lib/modules/R) must be swapped back, not left new with the old one deleted.
  rm -rf pub && "$E" seal --objtree obj --out pub > /dev/null && rm pub/vmlinux && mkdir pub/vmlinux &&
    mount -t tmpfs -o size=64k tmpfs pub/vmlinux && mounts=("$T/pub/vmlinux" "${mounts[@]}")
  pub_lib=$(entry_sum pub lib)
  check "a failed second swap undoes the first: STAGING entirely old, exit 2" bash -c \
    "$(declare -f entry_sum); '$E' seal --objtree new --out pub 2> err; [ \$? = 2 ] && grep 'cannot replace' err >/dev/null && [ \"\$(entry_sum pub lib)\" = '$pub_lib' ] && [ -z \"\$(ls -a | grep elfhash-)\" ]"
else
  echo "SKIP ENOSPC/EROFS: cannot mount tmpfs here (needs root and mount permission; CI runs as root)"
fi
if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
  nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  mkdir -p acc && chmod 0755 acc && cp obj/drivers/x86_64-module.ko acc/m.o && chmod 0644 acc/m.o && chmod o+rx "$T" && chmod -R o+rX obj
  check "EACCES: strip in place in a directory not writable by the user fails (exit 2), file untouched" bash -c \
    "$(declare -f nobody); nobody '$E' strip -g acc/m.o 2> err; [ \$? = 2 ] && grep 'Permission denied' err >/dev/null && cmp acc/m.o obj/drivers/x86_64-module.ko"
  check "EACCES: seal into a directory not writable by the user fails (exit 2), nothing left" bash -c \
    "$(declare -f nobody); nobody '$E' seal --objtree obj --out acc/st 2> err; [ \$? = 2 ] && grep 'Permission denied' err >/dev/null && [ \"\$(ls -A acc)\" = m.o ]"
else
  echo "SKIP EACCES: setpriv cannot switch to uid 65534"
fi

# --- SIGKILL at 50 fixed points ---------------------------------------------------------------------
# Delays (ms) spread over a whole run by a fixed formula, so CI kills at the same moments every time.
delays() { local i; for i in $(seq 0 49); do echo $(( (i * 37) % $1 )); done; }
new_v=$(entry_sum ref-new vmlinux) new_m=$(entry_sum ref-new lib)
old_v=$(entry_sum old-st vmlinux) old_m=$(entry_sum old-st lib)
seal_kills() {
  local d bad=0 v m
  for d in $(delays 45); do
    rm -rf kst && cp -a old-st kst
    "$E" seal --objtree new --out kst > /dev/null 2>&1 & local pid=$!
    sleep "0.0$(printf %02d "$d")"; kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
    v=$(entry_sum kst vmlinux) m=$(entry_sum kst lib)
    { [ "$v" = "$old_v" ] || [ "$v" = "$new_v" ]; } && { [ "$m" = "$old_m" ] || [ "$m" = "$new_m" ]; } || { echo "delay $d ms: vmlinux or modules mixed"; bad=1; }
    "$E" seal --objtree new --out kst > /dev/null || { echo "delay $d ms: rerun failed"; bad=1; }
    [ "$(entry_sum kst vmlinux)" = "$new_v" ] && [ "$(entry_sum kst lib)" = "$new_m" ] || { echo "delay $d ms: rerun differs"; bad=1; }
    [ -z "$(leftovers .)" ] || { echo "delay $d ms: stale temp not removed: $(leftovers .)"; bad=1; }
  done
  return $bad
}
check "SIGKILL at 50 points of seal: vmlinux and modules each old or new, rerun succeeds, no leftovers" seal_kills
strip_kills() {
  local d bad=0
  "$E" strip -g -o ref-strip2.o ref-strip.o || return 1
  mkdir -p ks2
  for d in $(delays 15); do
    cp obj/drivers/x86_64-module.ko ks2/m.o
    "$E" strip -g ks2/m.o & local pid=$!
    sleep "0.0$(printf %02d "$d")"; kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
    # The rerun strips what is there: the old file gives ref-strip.o, a finished strip ref-strip2.o.
    local want=ref-strip.o
    cmp -s ks2/m.o ref-strip.o && want=ref-strip2.o
    cmp -s ks2/m.o obj/drivers/x86_64-module.ko || [ $want = ref-strip2.o ] || { echo "delay $d ms: mixed file"; bad=1; }
    "$E" strip -g ks2/m.o && cmp ks2/m.o $want || { echo "delay $d ms: rerun"; bad=1; }
    [ -z "$(leftovers ks2)" ] || { echo "delay $d ms: stale temp not removed"; bad=1; }
  done
  return $bad
}
check "SIGKILL at 50 points of strip: the file old or new, rerun succeeds, no leftovers" strip_kills
finish
