#!/usr/bin/env bash
# Build the static aarch64 binaries for the guest: out/agent/kbridge (the agent/CLI),
# out/agent/kbridge-test (the test probes), out/agent/kbridge-fuzz (the fuzz campaign) and out/agent/kbridge-blinky (kbridge-hal's
# blinky example, run by tests/guest/t65-hal.sh), and out/agent/c/kbridge-<name>, the C
# clients of examples/c (run by tests/guest/t80-c-examples.sh).
. "$(dirname "$0")/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$KB_CACHE/cargo-target}
mkdir -p "$KB_OUT/agent"
cd "$KB_ROOT/userspace" || kb_die "no userspace/"  # cargo reads .cargo/config.toml (cross linker) from the cwd
# ring (rustls' crypto, for the agent's MQTT over TLS) compiles C and assembly through cc-rs:
# the aarch64 cross compiler and archiver from gcc-aarch64-linux-gnu.
export CC_aarch64_unknown_linux_gnu=${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}
export AR_aarch64_unknown_linux_gnu=${AR_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-ar}
"$KB_CARGO" build -q --locked --release \
    --target aarch64-unknown-linux-gnu -p kbridge-cli -p kbridge-test -p kbridge-fuzz \
    -p kbridge-hal --bins --example blinky \
    || kb_die "aarch64 agent build failed"
rel="$CARGO_TARGET_DIR/aarch64-unknown-linux-gnu/release"
for b in kbridge kbridge-test kbridge-fuzz; do
    cp "$rel/$b" "$KB_OUT/agent/$b"
done
cp "$rel/examples/blinky" "$KB_OUT/agent/kbridge-blinky"
# The C clients (examples/c, one per interface) against the generated uAPI header:
# out/agent/c/kbridge-<name>, static, warnings are errors.
mkdir -p "$KB_OUT/agent/c"
for src in "$KB_ROOT"/examples/c/*.c; do
    bin="$KB_OUT/agent/c/kbridge-$(basename "$src" .c)"
    [ "$bin" -nt "$src" ] && [ "$bin" -nt "$KB_ROOT/kmod/uapi/kbridge.h" ] \
        && [ "$bin" -nt "$KB_ROOT/kmod/uapi/kbridge-bpf.h" ] \
        && [ "$bin" -nt "$KB_ROOT/kmod/uapi/kbridge-nl-uapi.h" ] && continue
    aarch64-linux-gnu-gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static \
        -I"$KB_ROOT/kmod/uapi" -o "$bin" "$src" || kb_die "C example $src failed to build"
done
echo "$KB_OUT/agent/kbridge"
