#!/usr/bin/env bash
# Installs every Debian package elfhash's build, tests and benchmarks need (or only the PKG... named:
# tools/kernel/build-test-kernel.sh asks for its own). Idempotent: does nothing (no apt-get update)
# when everything is already present.
# usage: setup.sh [PKG...]
set -euo pipefail
PKGS=(
  bazel-bootstrap bazel-platforms bazel-skylib bazel-rules-java
  g++ libssl-dev libfmt-dev libgtest-dev libgmock-dev liblief-dev
  binutils binutils-multiarch llvm elfutils clang-14 libclang-rt-14-dev lld-14   # multiarch: GNU reference for every target
  liblzma-dev libzstd-dev zlib1g-dev libbz2-dev liblzo2-dev liblz4-dev
  qemu-system-x86 busybox-static kmod cpio xz-utils zstd bzip2 lzop lz4
  qemu-system-arm qemu-system-misc   # aarch64 and s390x boots (tools/kernel/arch-boot.sh, arm64-dropin.sh)
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu   # arm64 cross build (tools/kernel/arm64-dropin.sh)
  binutils-source dejagnu texinfo   # GNU's objcopy.exp as a judge (tools/tests/gnu_objcopy_exp_test.sh)
  openssl hyperfine time python3 bc strace util-linux   # strace, setpriv: tools/tests/faults_test.sh
  valgrind   # tools/bench INSNS=1: instruction counts (callgrind), independent of the machine's load
  linux-kbuild-6.1
  linux-source-6.12 flex bison libelf-dev make patch   # test kernel (tools/kernel/build-test-kernel.sh)
  nginx   # the HTTP remote cache of tools/tests/bazel_e2e_test.sh (WebDAV PUT)
)
(($#)) && PKGS=("$@")
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
