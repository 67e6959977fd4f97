#!/usr/bin/env bash
# Build (or reuse) the arm64 test kernel of one lane and print its build dir.
#   scripts/kernel.sh 6.12 | 6.12-debug | latest
# Exit 77 (with the reason on stderr) when the lane's source can't be obtained.
# The build is cached under $KB_CACHE/kbuild/<lane>-<key>, key = source version
# + fragments + toolchain + bindgen, so a second run returns in well under a second.
. "$(dirname "$0")/lib.sh"
lane=${1:?usage: kernel.sh <lane>}
bindgen_ver=$(kb_lane_bindgen "$lane")
bindgen=$(kb_bindgen_path "$bindgen_ver")
[ -x "$bindgen" ] || kb_die "bindgen $bindgen_ver missing: run scripts/setup-host.sh"

fragments=("$KB_ROOT/conf/kernel/qemu-virt-board.cfg" "$KB_ROOT/conf/kernel/kbridge.cfg")
[ "$lane" = 6.12-debug ] && fragments+=("$KB_ROOT/conf/kernel/debug.cfg")

# --- source ---------------------------------------------------------------
src_tarball() {
    case "$lane" in
        6.12|6.12-debug)
            local t=/usr/src/linux-source-6.12.tar.xz
            [ -f "$t" ] || kb_die "$t missing: apt-get install linux-source-6.12 (run scripts/setup-host.sh)"
            echo "$t $(dpkg-query -W -f='${Version}' linux-source-6.12)" ;;
        latest)
            "$KB_ROOT/scripts/fetch-latest-source.sh" ;;
    esac
}
src=$(src_tarball) || exit $?
read -r tarball srcver <<<"$src"
srcname=$(basename "$tarball" .tar.xz)-$srcver
srcdir="$KB_CACHE/src/$srcname"
if [ ! -f "$srcdir/.kbridge-unpacked" ]; then
    kb_log "unpacking $tarball"
    rm -rf "$srcdir" "$srcdir.tmp"; mkdir -p "$srcdir.tmp"
    tar -C "$srcdir.tmp" --strip-components=1 -xf "$tarball"
    mv "$srcdir.tmp" "$srcdir"; touch "$srcdir/.kbridge-unpacked"
fi

# --- cache key -------------------------------------------------------------
key=$( { echo "$srcname"; cat "${fragments[@]}"; "$KB_RUSTC" --version; \
         "$KB_LLVM_BIN/clang" --version | head -1; aarch64-linux-gnu-gcc --version | head -1; \
         echo "bindgen $bindgen_ver"; \
         kb_kmake_args "$lane"; } | sha256sum | cut -c1-12)
build="$KB_CACHE/kbuild/$lane-$key"
if [ -f "$build/.kbridge-done" ]; then
    echo "$build" > "$KB_CACHE/kbuild/$lane.current"; echo "$build"; exit 0
fi

# --- configure + check -----------------------------------------------------
mkdir -p "$build"
cat "${fragments[@]}" > "$build/kbridge-fragment.cfg"
# shellcheck disable=SC2046
kmake() { make -s -C "$srcdir" O="$build" $(kb_kmake_args "$lane") "$@"; }
kb_log "lane $lane: configuring $srcname (key $key)"
kmake rustavailable >/dev/null || kb_die "lane $lane: 'make rustavailable' failed (toolchain: $KB_RUSTC, $bindgen)"
kmake KCONFIG_ALLCONFIG="$build/kbridge-fragment.cfg" allnoconfig
"$KB_ROOT/scripts/check-config.sh" "$build/.config" "${fragments[@]}" \
    || kb_die "lane $lane: Kconfig dropped options listed above (see $build/.config)"

# --- build -----------------------------------------------------------------
kb_log "lane $lane: building kernel (a few minutes on 2 cores; log $build/build.log)"
start=$(date +%s)
if ! kmake -j"$(nproc)" all > "$build/build.log" 2>&1; then
    tail -40 "$build/build.log" >&2
    kb_die "lane $lane: kernel build failed (full log: $build/build.log)"
fi
kb_log "lane $lane: kernel built in $(( $(date +%s) - start )) s"
touch "$build/.kbridge-done"
echo "$build" > "$KB_CACHE/kbuild/$lane.current"
# Keep the cache bounded: drop older builds of the same lane.
# (exactly <lane>-<12 hex digits>: lane 6.12 must not match 6.12-debug-*)
for old in "$KB_CACHE/kbuild/$lane"-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]; do
    [ "$old" = "$build" ] || [ ! -d "$old" ] || rm -rf "$old"
done
echo "$build"
