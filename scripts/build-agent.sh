#!/usr/bin/env bash
# Build the static aarch64 `kbridge` binary for the guest: out/agent/kbridge.
. "$(dirname "$0")/lib.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$KB_CACHE/cargo-target}
mkdir -p "$KB_OUT/agent"
cd "$KB_ROOT/userspace"  # cargo reads .cargo/config.toml (cross linker) from the cwd
"$KB_CARGO" build -q --locked --release \
    --target aarch64-unknown-linux-gnu -p kbridge-cli \
    || kb_die "aarch64 agent build failed"
cp "$CARGO_TARGET_DIR/aarch64-unknown-linux-gnu/release/kbridge" "$KB_OUT/agent/kbridge"
echo "$KB_OUT/agent/kbridge"
