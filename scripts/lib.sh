# kbridge: shared shell helpers. Source it; it sources versions.env.
# shellcheck shell=bash
set -euo pipefail

KB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=versions.env
. "$KB_ROOT/scripts/versions.env"
KB_CACHE=${KBRIDGE_CACHE:-$KB_CACHE_DEFAULT}
# shellcheck disable=SC2034 # this file is sourced: the scripts use what it sets
KB_OUT=${KBRIDGE_OUT:-$KB_ROOT/out}
KB_LLVM_BIN=/usr/lib/llvm-$KB_LLVM_VERSION/bin
export LIBCLANG_PATH=/usr/lib/llvm-$KB_LLVM_VERSION/lib
# Debian's rustc-web toolchain, never rustup's: the kernel needs rust-src of the
# exact compiler, and the agent needs the arm64 std that only Debian ships here.
KB_RUSTC=/usr/bin/rustc
# shellcheck disable=SC2034 # as above
KB_CARGO=/usr/bin/cargo
KB_RUSTDOC=/usr/bin/rustdoc
export PATH="$KB_LLVM_BIN:/usr/bin:$PATH"

kb_log() { printf '\033[1m[kbridge]\033[0m %s\n' "$*" >&2; }
kb_die() { printf '\033[1;31m[kbridge] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Lanes: name -> bindgen version.
kb_lane_bindgen() {
    case "$1" in
        6.12|6.12-debug) echo "$KB_BINDGEN_6_12" ;;
        latest) echo "$KB_BINDGEN_LATEST" ;;
        *) kb_die "unknown kernel lane '$1' (known: 6.12 6.12-debug latest)" ;;
    esac
}
kb_bindgen_path() { echo "$KB_CACHE/tools/bindgen-$1/bin/bindgen"; }
kb_cargo_fuzz_path() { echo "$KB_CACHE/tools/cargo-fuzz-$KB_CARGO_FUZZ/bin/cargo-fuzz"; }

# Arguments every kernel/module make invocation needs for a lane.
# Lane 6.12 (the gate, also booted by lane rpi4) builds the way oe-core builds
# linux-yocto and linux-raspberrypi: C with the cross GCC (KERNEL_CC) and GNU ld,
# Rust with rustc, libclang only inside bindgen. The other lanes use LLVM=1
# (clang, ld.lld), the upstream Rust-for-Linux setup. 6.12-debug must stay on
# clang: 6.12's init/Kconfig has RUST "depends on !KASAN || CC_IS_CLANG" (rustc's
# KASAN instrumentation is LLVM's, so GCC + Rust + KASAN can't be configured).
kb_kmake_args() {
    local bg; bg=$(kb_bindgen_path "$(kb_lane_bindgen "$1")")
    local cc="LLVM=1"
    [ "$(kb_lane_cc "$1")" = gcc ] && cc="CROSS_COMPILE=aarch64-linux-gnu-"
    echo "ARCH=arm64 $cc RUSTC=$KB_RUSTC HOSTRUSTC=$KB_RUSTC RUSTDOC=$KB_RUSTDOC BINDGEN=$bg"
}
# The lanes, in the order `make test` runs them; everything lane-specific is
# one of the kb_lane_* functions here (the Makefile asks them too).
# shellcheck disable=SC2034 # used by the scripts that source this
KB_LANES="6.12 rpi4 6.12-debug latest"
# The kernel lane a lane boots: rpi4 (QEMU raspi4b) has no kernel of its own
# and boots lane 6.12's Image and module.
kb_lane_kernel() { [ "$1" = rpi4 ] && echo 6.12 || echo "$1"; }
# The C compiler of a lane: gcc or clang.
kb_lane_cc() { case "$1" in 6.12) echo gcc ;; *) echo clang ;; esac; }

# The finished kernel build dir of a lane (written by scripts/kernel.sh).
kb_kernel_dir() {
    local f="$KB_CACHE/kbuild/$1.current"
    [ -f "$f" ] || kb_die "kernel lane '$1' is not built: run 'scripts/kernel.sh $1' (or 'make kernels')"
    cat "$f"
}
