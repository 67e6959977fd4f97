#!/usr/bin/env bash
# Idempotent host set-up for a Debian bookworm x86_64 machine: Debian packages
# (bookworm only; never sid or trixie), arm64 multiarch std, bindgen-cli per
# kernel lane into the cache's tools dir, busybox-static:arm64 unpacked (not
# installed); with --cargo-fuzz also cargo-fuzz (scripts/fuzz-host.sh). Quick
# (about a second) when everything is already there.
. "$(dirname "$0")/lib.sh"

SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || kb_log "warning: tested on Debian bookworm, this is ${PRETTY_NAME:-unknown}"

# --- bookworm-backports, for QEMU only ------------------------------------------
# bookworm's QEMU 7.2 has no raspi4b machine (lane rpi4): QEMU 10.x comes from
# bookworm-backports, with a pin that lets only QEMU's own packages come from
# there; everything else stays bookworm. Every lane runs on this one QEMU.
bpo_src=/etc/apt/sources.list.d/kbridge-bookworm-backports.sources
bpo_pin=/etc/apt/preferences.d/kbridge-qemu
want_src=$(printf '%s\n' "Types: deb" "URIs: $KB_DEBIAN_MIRROR" "Suites: bookworm-backports" \
    "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg")
want_pin=$(printf '%s\n' "# kbridge: only QEMU comes from bookworm-backports (raspi4b machine)." \
    "Package: qemu-system* qemu-utils qemu-block-extra" "Pin: release n=bookworm-backports" \
    "Pin-Priority: 500")
need_update=
if [ "$(cat "$bpo_src" 2>/dev/null)" != "$want_src" ]; then
    echo "$want_src" | $SUDO tee "$bpo_src" >/dev/null; need_update=1
fi
[ "$(cat "$bpo_pin" 2>/dev/null)" = "$want_pin" ] || echo "$want_pin" | $SUDO tee "$bpo_pin" >/dev/null

# --- Debian packages ----------------------------------------------------------
missing=""
for p in $KB_APT_PACKAGES $KB_APT_PACKAGES_ARM64; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"
done
qemu_ver=$(dpkg-query -W -f='${Version}' qemu-system-arm 2>/dev/null || true)
dpkg --compare-versions "${qemu_ver:-0}" ge "$KB_QEMU_MIN" || case " $missing " in
    *" qemu-system-arm "*) ;; *) missing="$missing qemu-system-arm" ;; esac
[ -z "$missing" ] || need_update=1
if [ -n "$need_update" ]; then
    dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -q >/dev/null || kb_die "apt-get update failed"
fi
if [ -n "$missing" ]; then
    kb_log "installing Debian packages:$missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing \
        >"${TMPDIR:-/tmp}/kbridge-apt.log" 2>&1 \
        || { tail -20 "${TMPDIR:-/tmp}/kbridge-apt.log" >&2; kb_die "apt-get install failed (log: ${TMPDIR:-/tmp}/kbridge-apt.log)"; }
fi

qemu_ver=$(dpkg-query -W -f='${Version}' qemu-system-arm)
dpkg --compare-versions "$qemu_ver" ge "$KB_QEMU_MIN" \
    || kb_die "qemu-system-arm is $qemu_ver, need >= $KB_QEMU_MIN from bookworm-backports (see $bpo_pin)"

# --- toolchain consistency ----------------------------------------------------
rv=$("$KB_RUSTC" --version | awk '{print $2}')
[ "$(printf '%s\n%s\n' "$KB_RUSTC_MIN" "$rv" | sort -V | head -1)" = "$KB_RUSTC_MIN" ] \
    || kb_die "$KB_RUSTC is $rv, need >= $KB_RUSTC_MIN: apt-get install rustc-web"
host_std=$(dpkg-query -W -f='${Version}' rustc-web)
arm_std=$(dpkg-query -W -f='${Version}' libstd-rust-web-dev:arm64)
[ "$host_std" = "$arm_std" ] \
    || kb_die "rustc-web $host_std != libstd-rust-web-dev:arm64 $arm_std: apt-get install rustc-web libstd-rust-web-dev:arm64 (same version)"
[ -d "$("$KB_RUSTC" --print sysroot)/lib/rustlib/src/rust/library/core" ] \
    || kb_die "rust-src for $rv missing: apt-get install rust-web-src"
[ -x "$KB_LLVM_BIN/clang" ] || kb_die "$KB_LLVM_BIN/clang missing: apt-get install clang-$KB_LLVM_VERSION lld-$KB_LLVM_VERSION llvm-$KB_LLVM_VERSION"

# --- bindgen-cli, one per lane ------------------------------------------------
for v in $(printf '%s\n' "$KB_BINDGEN_6_12" "$KB_BINDGEN_LATEST" | sort -u); do
    bg=$(kb_bindgen_path "$v")
    if [ -x "$bg" ] && "$bg" --version 2>/dev/null | grep -q " $v\$"; then continue; fi
    kb_log "building bindgen-cli $v (about 2 minutes)"
    "$KB_CARGO" install -q bindgen-cli --version "$v" --locked --root "$KB_CACHE/tools/bindgen-$v" \
        || kb_die "cargo install bindgen-cli $v failed"
done

# --- cargo-fuzz, on demand -----------------------------------------------------
# Only the host fuzz targets use it, and scripts/fuzz-host.sh asks for it
# (`setup-host.sh --cargo-fuzz`): building it takes about 2 minutes.
if [ "${1:-}" = --cargo-fuzz ]; then
    cf=$(kb_cargo_fuzz_path)
    if ! { [ -x "$cf" ] && "$cf" --version 2>/dev/null | grep -q " $KB_CARGO_FUZZ\$"; }; then
        kb_log "building cargo-fuzz $KB_CARGO_FUZZ (about 2 minutes)"
        "$KB_CARGO" install -q cargo-fuzz --version "$KB_CARGO_FUZZ" --locked \
            --root "$KB_CACHE/tools/cargo-fuzz-$KB_CARGO_FUZZ" || kb_die "cargo install cargo-fuzz $KB_CARGO_FUZZ failed"
    fi
fi

# --- busybox for the guest ------------------------------------------------------
bb="$KB_CACHE/busybox/bin/busybox"
if [ ! -x "$bb" ]; then
    kb_log "fetching $KB_BUSYBOX_PACKAGE (unpacked, not installed)"
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    ( cd "$tmp" && apt-get download -q "$KB_BUSYBOX_PACKAGE" >/dev/null ) \
        || kb_die "apt-get download $KB_BUSYBOX_PACKAGE failed (is arm64 enabled? dpkg --add-architecture arm64 && apt-get update)"
    dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
    mkdir -p "$KB_CACHE/busybox/bin"; cp "$tmp/x/bin/busybox" "$bb"
fi
file_out=$(od -An -tx1 -j18 -N2 "$bb" | tr -d ' ')
[ "$file_out" = b700 ] || kb_die "$bb is not an aarch64 binary: rm -rf $KB_CACHE/busybox and rerun"

kb_log "host ready (rustc $rv, bindgen $KB_BINDGEN_6_12/$KB_BINDGEN_LATEST, cache $KB_CACHE)"
