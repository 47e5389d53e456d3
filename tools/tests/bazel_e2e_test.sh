#!/usr/bin/env bash
# Bazel end to end (docs/bazel.md): the separate workspace tools/bazel/e2e consumes elfhash as an
# external repository through its toolchain, builds Debian's linux-source-6.12 with the test
# kernel's patch and config in one kbuild action, seals it, and `bazel test`s the result (verify +
# qemu boot with module.sig_enforce=1). Both builds go through a real HTTP cache (nginx, WebDAV PUT)
# on 127.0.0.1: build 1 from an empty output base, then the output base is wiped and build 2 must
# take every action from the remote cache and give the same bytes. Both pass
# --spawn_strategy=sandboxed --incompatible_strict_action_env, and no command line of the kernel or
# elfhash actions holds an absolute path (bazel aquery).
#
# State kept between runs in ${ELFHASH_CACHE:-~/.cache/elfhash}/bazel-e2e: the remote cache's store
# (remote-cache/, so the kernel is built once per change of its inputs) and the output base
# (output_base/, wiped by every run). Fresh: one kernel build (~15 min of 2 cores) + elfhash from
# source; cached: a few minutes (docs/bazel.md, "Cost").
# env: ELFHASH  elfhash binary for the prebuilt-toolchain check (default bazel-bin/tools/elfhash;
#               skipped if missing)
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
. tools/tests/lib.sh
# What this test runs besides Bazel: nginx, the kernel source and its build tools, qemu + busybox.
bash tools/setup.sh nginx linux-source-6.12 flex bison bc libelf-dev libssl-dev gcc make patch xz-utils \
  qemu-system-x86 busybox-static cpio python3 >&2 || { echo "setup.sh failed"; echo "0 passed, 1 failed"; exit 1; }
ws=$root/tools/bazel/e2e
C=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/bazel-e2e
OB=$C/output_base
store=$C/remote-cache
mkdir -p "$C"
exec 9> "$C/.lock"
flock 9   # one run per cache directory at a time
run=$(mktemp -d "${TMPDIR:-/tmp}/bazel-e2e.XXXXXX")
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }
# The kernel build takes minutes of both cores of a shared machine: the e2e Bazel server (started
# by the first command on this output base) and all its actions run niced.
bz() { (cd "$ws" && nice -n 10 bazel --output_base="$OB" "$@"); }
cleanup() {
  bz shutdown >/dev/null 2>&1
  bash "$ws/http_cache.sh" stop "$run/nginx" >/dev/null 2>&1
  rm -rf "$run"
}
trap cleanup EXIT

url=$(bash "$ws/http_cache.sh" start "$store" "$run/nginx") || { echo "nginx failed"; echo "0 passed, 1 failed"; exit 1; }
echo "# remote cache $url (store $store)"
FLAGS=(--jobs=2 --spawn_strategy=sandboxed --incompatible_strict_action_env --remote_cache="$url")
TARGETS=(//:sealed //:sealed_staging //:stripped //:kernel //:elfhash)
# Debian's linux-sandbox writes debug lines for every action: keep them out of the log.
quiet() { grep -v 'src/main/tools/linux-sandbox' || true; }

outer_excludes() { local q; q=$(bazel query //... 2>&1) || { echo "$q"; return 1; }; ! grep -n 'e2e' <<<"$q"; }
check "the outer workspace's //... leaves the nested e2e workspace out (.bazelignore)" outer_excludes

bz clean --expunge >/dev/null 2>&1
t=$(now)
bz build "${FLAGS[@]}" --execution_log_json_file="$run/exec1.json" --profile="$run/build1.profile.json" \
  "${TARGETS[@]}" > "$run/build1.log" 2>&1
rc=$?
t1=$(elapsed "$t")
# ok RC LOG: a Bazel command's status, with the end of its log when it failed.
ok() { [ "$1" = 0 ] || { quiet < "$2" | tail -n 30; return 1; }; }
grep -o '[0-9]* processes: .*' "$run/build1.log" | tail -n 1 | sed 's/^/# build 1: /'
check "build 1 (empty output base, elfhash via local_repository + toolchain, kernel via kbuild) in ${t1}s" ok $rc "$run/build1.log"
bin=$(bz info "${FLAGS[@]}" bazel-bin 2>/dev/null)
snapshot() {  # snapshot DIR: the outputs as plain files
  mkdir -p "$1" && cp -rL "$bin/sealed" "$bin/stripped" "$bin/kernel" "$1/"
}
snapshot "$run/out1"

# Command lines: the kernel and elfhash actions name their files by exec-root-relative paths only.
abs_args() {
  bz aquery "${FLAGS[@]}" --output=jsonproto \
    'mnemonic("KernelBuild|ElfhashSeal|ElfhashStrip", deps(//:sealed + //:stripped))' > "$run/aquery.json" 2>/dev/null || return 1
  python3 - "$run/aquery.json" "$OB" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
acts = d.get("actions", [])
bad = [(a["mnemonic"], arg) for a in acts for arg in a.get("arguments", [])
       if arg.startswith("/") or "=/" in arg or sys.argv[2] in arg or "execroot" in arg]
print("%d actions (%s)" % (len(acts), ", ".join(sorted({a["mnemonic"] for a in acts}))))
for b in bad: print("absolute:", *b)
sys.exit(1 if bad or len(acts) < 5 else 0)
PY
}
check "no KernelBuild/ElfhashSeal/ElfhashStrip command line holds an absolute path or the execution root" abs_args

bz clean --expunge >/dev/null 2>&1
wiped() { [ ! -e "$OB/execroot" ]; }
check "output base wiped" wiped
t=$(now)
bz build "${FLAGS[@]}" --execution_log_json_file="$run/exec2.json" "${TARGETS[@]}" > "$run/build2.log" 2>&1
rc=$?
t2=$(elapsed "$t")
check "build 2 after the wipe in ${t2}s" ok $rc "$run/build2.log"
bin=$(bz info "${FLAGS[@]}" bazel-bin 2>/dev/null)
all_hits() {
  python3 - "$run/exec2.json" <<'PY'
import json, sys
dec = json.JSONDecoder(); text = open(sys.argv[1]).read(); i = 0; spawns = []
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    obj, i = dec.raw_decode(text, i); spawns.append(obj)
miss = [s.get("mnemonic", "?") + " " + (s.get("listedOutputs") or ["?"])[0] for s in spawns if not s.get("remoteCacheHit")]
by = {}
for s in spawns: by[s.get("mnemonic")] = by.get(s.get("mnemonic"), 0) + 1
print("spawns:", ", ".join("%s %d" % kv for kv in sorted(by.items())))
for m in miss: print("not a remote-cache hit:", m)
need = {"KernelBuild", "ElfhashSeal", "ElfhashStrip"}
sys.exit(1 if miss or not need <= set(by) else 0)
PY
}
check "build 2: every action (KernelBuild, ElfhashSeal, ElfhashStrip, elfhash's C++) a remote-cache hit" all_hits
grep -o '[0-9]* processes: .*' "$run/build2.log" | tail -n 1 | sed 's/^/# build 2: /'
snapshot "$run/out2"
same() { diff -r "$run/out1" "$run/out2"; }
check "build 2's outputs are byte-identical to build 1's (kernel, sealed vmlinux + staging, stripped)" same

t=$(now)
bz test "${FLAGS[@]}" --nocache_test_results //:sealed_test > "$run/test.log" 2>&1
rc=$?
log=$(bz info "${FLAGS[@]}" bazel-testlogs 2>/dev/null)/sealed_test/test.log
grep -E '^(PASS|FAIL|#|[0-9]+ passed)' "$log" | sed 's/^/  /'
check "bazel test //:sealed_test: verify every sealed module, boot the sealed vmlinux enforcing (${t:+$(elapsed "$t")s})" ok $rc "$run/test.log"

# The prebuilt option: the outer workspace's binary as the toolchain must give the same bytes. The
# remote cache is not read here (--noremote_accept_cached; the kernel comes from the local action
# cache of build 2), so this seal action really runs, and its time inside Bazel is measured.
E=${ELFHASH:-$root/bazel-bin/tools/elfhash}
if [ -x "$E" ]; then
  prebuilt() {
    bz build "${FLAGS[@]}" --noremote_accept_cached --repo_env=ELFHASH_PREBUILT="$E" \
      --extra_toolchains=@elfhash_prebuilt//:toolchain --profile="$run/prebuilt.profile.json" \
      //:sealed //:stripped > "$run/prebuilt.log" 2>&1 || { quiet < "$run/prebuilt.log" | tail -n 30; return 1; }
    diff -r "$run/out1/sealed" "$bin/sealed" && diff -r "$run/out1/stripped" "$bin/stripped"
  }
  check "prebuilt toolchain (--extra_toolchains=@elfhash_prebuilt//:toolchain): same sealed bytes" prebuilt
else
  E=$bin/elfhash
fi

# Times: the kernel and seal actions inside Bazel (--profile traces; in build 1 they are cache hits
# on a cached run) against elfhash seal run directly on the same inputs with the same binary.
for p in build1 prebuilt; do
  [ -f "$run/$p.profile.json" ] || continue
  python3 - "$run/$p.profile.json" "$p" <<'PY' | sed 's/^/# /'
import json, sys
d = json.load(open(sys.argv[1]))
for e in d.get("traceEvents", d if isinstance(d, list) else []):
    n = e.get("name", "")
    if e.get("ph") == "X" and (n.startswith("Sealing") or n.startswith("Building the kernel")):
        print("%s build, inside Bazel (sandboxed): %s %.2fs" % (sys.argv[2], n, e["dur"] / 1e6))
PY
done
o=$run/out1/kernel
mkdir -p "$run/obj/include/config"
ln -s "$o/vmlinux.unstripped" "$o/modules.order" "$run/obj/"
ln -s "$o/include/config/kernel.release" "$run/obj/include/config/"
cp -rs "$o/modules/." "$run/obj/"
t=$(now)
"$E" seal --objtree "$run/obj" --out "$run/direct" --install-mod-strip=1 >/dev/null
direct_ok=$?
echo "# elfhash seal run directly ($E): $(elapsed "$t")s"
direct_same() { [ $direct_ok = 0 ] && diff -r "$run/direct/lib" "$run/out1/sealed/staging/lib" && cmp "$run/direct/vmlinux" "$run/out1/sealed/vmlinux"; }
check "elfhash seal run directly gives the bytes of the Bazel action" direct_same

# The store keeps what builds read: refresh the files this run fetched, drop what no run read for 14 days.
sed -n 's|.*"GET /\([a-z]*/[0-9a-f]*\) HTTP[^"]*" 200 .*|\1|p' "$run/nginx/access.log" | sort -u \
  | (cd "$store" && xargs -r touch -c --)
find "$store" -type f -mtime +14 -delete
echo "# remote cache store: $(du -sh "$store" | cut -f1)"
finish
