#!/usr/bin/env bash
# Build the static aarch64 binaries for the guest: out/agent/kbridge (the agent/CLI),
# out/agent/kbridge-test (the test probes), out/agent/kbridge-fuzz (the fuzz campaign) and out/agent/kbridge-blinky (kbridge-hal's
# blinky example, run by tests/guest/t65-hal.sh).
. "$(dirname "$0")/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$KB_CACHE/cargo-target}
mkdir -p "$KB_OUT/agent"
cd "$KB_ROOT/userspace"  # cargo reads .cargo/config.toml (cross linker) from the cwd
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
echo "$KB_OUT/agent/kbridge"
