#!/usr/bin/env bash
# Build kmod/ against one lane's kernel: scripts/build-kmod.sh <lane>
# Prints the path of kbridge.ko. The sources are mirrored into out/<lane>/tree
# (kmod/ plus the shared ABI file at the same relative path) so lanes don't
# trample each other's objects and kmod/ stays clean. Any compiler or modpost
# warning fails the build.
. "$(dirname "$0")/lib.sh"
lane=${1:?usage: build-kmod.sh <lane>}
kdir=$(kb_kernel_dir "$lane")
tree="$KB_OUT/$lane/tree"
abi_rel=userspace/crates/kbridge-abi/src/abi.rs
[ -f "$KB_ROOT/$abi_rel" ] || kb_die "$abi_rel missing"
mkdir -p "$tree/kmod" "$tree/$(dirname "$abi_rel")"
# Copy only sources (mtimes kept, so make rebuilds only what changed).
( cd "$KB_ROOT/kmod" && git ls-files -co --exclude-standard 2>/dev/null || ls -A ) | while read -r f; do
    [ -f "$KB_ROOT/kmod/$f" ] || continue
    mkdir -p "$tree/kmod/$(dirname "$f")"
    cmp -s "$KB_ROOT/kmod/$f" "$tree/kmod/$f" || cp -p "$KB_ROOT/kmod/$f" "$tree/kmod/$f"
done
cmp -s "$KB_ROOT/$abi_rel" "$tree/$abi_rel" || cp -p "$KB_ROOT/$abi_rel" "$tree/$abi_rel"
log="$KB_OUT/$lane/kmod-build.log"
if [ "$(kb_lane_cc "$lane")" = gcc ]; then
    # As oe-core's module.bbclass (module_do_compile) + module-rust.bbclass do:
    # kmod/Makefile with KERNEL_SRC = the kernel source, O = its build dir, the
    # kernel's own CC/LD/AR/OBJCOPY/STRIP, and KRUSTFLAGS (debug path remap).
    srcdir=$(readlink -f "$kdir/source")
    [ -f "$srcdir/Makefile" ] || kb_die "lane $lane: $kdir/source is not a kernel source tree"
    x=aarch64-linux-gnu-
    # shellcheck disable=SC2206,SC2207 # kb_kmake_args is a list of words, split on purpose
    build=(make -C "$tree/kmod" KERNEL_SRC="$srcdir" O="$kdir" CC=${x}gcc LD=${x}ld AR=${x}ar
           OBJCOPY=${x}objcopy STRIP=${x}strip KRUSTFLAGS="--remap-path-prefix=$tree=/usr/src/debug/kbridge"
           $(kb_kmake_args "$lane") modules)
else
    # shellcheck disable=SC2207 # as above
    build=(make -C "$kdir" M="$tree/kmod" $(kb_kmake_args "$lane") modules)
fi
if ! "${build[@]}" >"$log" 2>&1; then
    cat "$log" >&2; kb_die "lane $lane: kmod build failed"
fi
if grep -qiE '(^|[^-])warning' "$log"; then
    grep -iE -B2 -A6 'warning' "$log" >&2; kb_die "lane $lane: kmod build has warnings (log: $log)"
fi
# Rust frames are not covered by the kernel's -Wframe-larger-than: check them all.
"$KB_ROOT/scripts/check-stack.sh" "$tree/kmod/kbridge.ko" 2048 >"$KB_OUT/$lane/stack.log" \
    || { cat "$KB_OUT/$lane/stack.log" >&2; kb_die "lane $lane: kmod has a stack frame over 2 KiB"; }
echo "$tree/kmod/kbridge.ko"
