#!/usr/bin/env bash
# The cargo-fuzz targets of userspace/fuzz (libFuzzer over kbridge-abi: chardev commands,
# ioctl validators, netlink attributes), each for a bounded time; `make check` and
# `make test` run it through scripts/test.sh. One line per target:
# PASS fuzz/<target> / FAIL fuzz/<target>: reason / SKIP fuzz/<target>: reason.
#
#   scripts/fuzz-host.sh [target...]     all three by default
#   FUZZ_SECONDS=600 (default 20 each; 0 skips them)
#
# Built without a sanitizer (-s none): the code under test is safe Rust, and that is what
# lets stable rustc build it. cargo-fuzz is built on first use (scripts/setup-host.sh
# --cargo-fuzz); the targets build in $KB_CACHE/cargo-target-fuzz. Each target's corpus
# grows in out/fuzz/corpus/<target> from the committed seeds (userspace/fuzz/seeds/<target>);
# a crash is a FAIL naming its reproducer, written to out/fuzz/artifacts/<target>/, which
# replays with
#   cargo-fuzz run -s none --fuzz-dir userspace/fuzz <target> <reproducer>
. "$(dirname "$0")/lib.sh"
fd="$KB_ROOT/userspace/fuzz"
secs=${FUZZ_SECONDS:-20}
read -r -a targets <<<"${*:-commands ioctl netlink}"
export CARGO_TARGET_DIR=$KB_CACHE/cargo-target-fuzz RUSTC=$KB_RUSTC CARGO=$KB_CARGO
failed=0

all() { for t in "${targets[@]}"; do echo "$1 fuzz/$t: $2"; done; }

[[ $secs =~ ^[0-9]+$ ]] || kb_die "FUZZ_SECONDS=$secs is not a number of seconds"
if [ "$secs" = 0 ]; then all SKIP "FUZZ_SECONDS=0"; exit 0; fi
rv=$("$KB_RUSTC" --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$KB_CARGO_FUZZ_RUSTC_MIN" "$rv" | sort -V | head -1)" != "$KB_CARGO_FUZZ_RUSTC_MIN" ]; then
    all SKIP "cargo-fuzz $KB_CARGO_FUZZ needs rustc >= $KB_CARGO_FUZZ_RUSTC_MIN, $KB_RUSTC is $rv"
    exit 0
fi

log=$(mktemp); trap 'rm -f "$log"' EXIT
if ! "$KB_ROOT/scripts/setup-host.sh" --cargo-fuzz >"$log" 2>&1; then
    tail -20 "$log"; all FAIL "cargo-fuzz $KB_CARGO_FUZZ could not be installed"; exit 1
fi
cf=$(kb_cargo_fuzz_path)
# The fuzz crate's own lockfile must be current (cargo-fuzz has no --locked).
if ! "$KB_CARGO" fetch -q --locked --manifest-path "$fd/Cargo.toml" >"$log" 2>&1 \
    || ! "$cf" build -s none --fuzz-dir "$fd" >>"$log" 2>&1; then
    tail -30 "$log"; all FAIL "build failed"; exit 1
fi

for t in "${targets[@]}"; do
    corpus="$KB_OUT/fuzz/corpus/$t" art="$KB_OUT/fuzz/artifacts/$t"
    mkdir -p "$corpus" "$art"
    # -timeout: an input that runs 10 s is a hang, reported like a crash.
    if "$cf" run -s none --fuzz-dir "$fd" "$t" "$corpus" "$fd/seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -max_len=4200 -artifact_prefix="$art/" >"$log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -1)
        echo "PASS fuzz/$t (${runs:-no run count}, corpus $(find "$corpus" -type f | wc -l) inputs)"
    else
        # The panic (or libFuzzer's verdict) and where the input went.
        grep -E -A2 "panicked at|^SUMMARY|deadly signal|timeout after|out-of-memory" "$log" | sed 's/^/    /' | head -20
        repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        if [ -n "$repro" ]; then
            echo "FAIL fuzz/$t: reproducer $repro (replay: $cf run -s none --fuzz-dir $fd $t $repro)"
        else
            tail -20 "$log" | sed 's/^/    /'; echo "FAIL fuzz/$t: cargo-fuzz failed without a reproducer"
        fi
        failed=1
    fi
done
exit "$failed"
