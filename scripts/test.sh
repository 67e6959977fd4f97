#!/usr/bin/env bash
# The project's test command (also `make test`): host checks, then the in-guest suite
# on every kernel lane. Ends with one line "N passed, N failed, N skipped" and
# exits non-zero on any failure. A lane that can't run is a counted skip with
# its reason, never a silent pass.
#   KBRIDGE_LANES="6.12 latest" selects lanes (default: all of KB_LANES, scripts/lib.sh).
. "$(dirname "$0")/lib.sh"
lanes=${KBRIDGE_LANES-$KB_LANES}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$KB_CACHE/cargo-target}
passed=0 failed=0 skipped=0
failures=() skips=()
t0=$(date +%s)

pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); failures+=("$1: $2"); echo "FAIL $1: $2"; }
skip() { skipped=$((skipped + 1)); skips+=("$1: $2"); echo "SKIP $1: $2"; }
# step NAME CMD...: one counted check; output shown only on failure.
step() {
    local name=$1 log; shift
    log=$(mktemp); 
    if "$@" >"$log" 2>&1; then pass "$name"; else tail -40 "$log"; fail "$name" "'$*' failed"; fi
    rm -f "$log"
}

"$KB_ROOT/scripts/setup-host.sh"

# --- kernels, in the background ------------------------------------------------------
# The lanes' kernels build one after another behind the host checks: a kernel
# build leaves a core idle for minutes (unpacking, single-threaded rustc on the
# core/kernel crates, pahole, linking), which the host checks use. Each build
# writes <lane>.rc when done; the guest part below waits for it.
kstate="$KB_OUT/kernels"; rm -rf "$kstate"; mkdir -p "$kstate"
# Built in the order their guest runs are longest: 6.12-debug's (about 7 min
# under KASAN) then overlaps the latest kernel's build instead of ending the run.
klanes=$(for lane in $lanes; do kb_lane_kernel "$lane"; done \
         | awk '!seen[$0]++ { print ($0 == "6.12") ? 0 : ($0 == "6.12-debug") ? 1 : 2, $0 }' | sort -n -s | cut -d" " -f2)
( for kl in $klanes; do
      "$KB_ROOT/scripts/kernel.sh" "$kl" >/dev/null 2>"$kstate/$kl.err"; echo $? > "$kstate/$kl.rc"
  done ) &
kbuilds=$!
trap 'kill $kbuilds 2>/dev/null || true' EXIT

# --- host: user space ----------------------------------------------------------
ws="$KB_ROOT/userspace/Cargo.toml"
step host/userspace-fmt "$KB_CARGO" fmt --manifest-path "$ws" --all -- --check
step host/userspace-clippy "$KB_CARGO" clippy -q --locked --manifest-path "$ws" --workspace --all-targets -- -D warnings
# cargo test: every test counts on its own.
log=$(mktemp)
if "$KB_CARGO" test --locked --manifest-path "$ws" --workspace >"$log" 2>&1; then rc=0; else rc=$?; fi
read -r p f i < <(awk '/^test result:/ {p+=$4; f+=$6; i+=$8} END {print p+0, f+0, i+0}' "$log")
passed=$((passed + p)); failed=$((failed + f))
echo "cargo test: $p passed, $f failed, $i ignored"
[ "$i" = 0 ] || { skipped=$((skipped + i)); skips+=("cargo test: $i ignored tests"); }
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then tail -40 "$log"; fail host/cargo-test "cargo test exited $rc"; fi
[ "$f" = 0 ] || grep -E '^(test .* FAILED|---- )' "$log" | head -20
rm -f "$log"

# --- host: kernel module sources -----------------------------------------------
step host/kmod-fmt rustfmt --check --edition 2021 --config-path "$KB_ROOT/kmod/.rustfmt.toml" "$KB_ROOT"/kmod/*.rs
step host/kmod-layers "$KB_ROOT/tests/host/kmod-layers.py"
# Every shell script: bash ones as bash, the guest's (busybox sh) as POSIX sh.
step host/shellcheck sh -c 'cd "$1" && shellcheck -S warning scripts/*.sh tests/host/*.sh .ci/run \
    && shellcheck -s sh -S warning tests/guest/*.sh tests/guest/init' sh "$KB_ROOT"
step host/glue-abi "$KB_ROOT/tests/host/glue-abi.sh"
step host/netlink-spec "$KB_ROOT/tests/host/netlink-spec.sh"
step host/kernel-check "$KB_ROOT/tests/host/kernel-check.sh"
step host/ktap "$KB_ROOT/tests/host/ktap-check.sh"

# --- host: Yocto layer ----------------------------------------------------------
if [ -x "$KB_ROOT/scripts/check-layer.sh" ]; then
    log=$(mktemp)
    "$KB_ROOT/scripts/check-layer.sh" >"$log" 2>&1 && rc=0 || rc=$?
    cat "$log"
    while read -r verdict name rest; do
        case "$verdict" in
            PASS) passed=$((passed + 1)) ;;
            FAIL) failed=$((failed + 1)); failures+=("layer/$name $rest") ;;
            SKIP) skipped=$((skipped + 1)); skips+=("layer/$name $rest") ;;
        esac
    done < <(grep -E '^(PASS|FAIL|SKIP) ' "$log")
    if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$log"; then fail layer/check-layer "scripts/check-layer.sh exited $rc"; fi
    rm -f "$log"
fi

# --- guest: each kernel lane ------------------------------------------------------
step build/agent-aarch64 "$KB_ROOT/scripts/build-agent.sh"
for lane in $lanes; do
    klane=$(kb_lane_kernel "$lane") modes="test probe"
    [ "$lane" = rpi4 ] && modes="test"
    while [ ! -s "$kstate/$klane.rc" ] && kill -0 $kbuilds 2>/dev/null; do sleep 2; done
    rc=$(cat "$kstate/$klane.rc" 2>/dev/null || echo 1)
    reason=$(cat "$kstate/$klane.err" 2>/dev/null || true)
    if [ "$rc" = 77 ]; then
        skip "lane/$lane" "$(echo "$reason" | tail -1)"; continue
    elif [ "$rc" != 0 ]; then
        echo "$reason" | tail -30; fail "lane/$lane" "kernel build failed"; continue
    fi
    # Two boots per lane: the test suite, and the probe-error board.
    for mode in $modes; do
        rm -f "$KB_OUT/$lane/result-$mode"
        if "$KB_ROOT/scripts/run-guest.sh" "$lane" "$mode"; then :; fi
        if [ -f "$KB_OUT/$lane/result-$mode" ]; then
            read -r p f s < "$KB_OUT/$lane/result-$mode"
            passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
            [ "$f" = 0 ] || failures+=("lane/$lane $mode: $f failed (console: out/$lane/console-$mode.log)")
            [ "$s" = 0 ] || skips+=("lane/$lane $mode: $s skipped in the guest")
        else
            fail "lane/$lane/$mode" "guest run did not produce a result (module build or boot failed)"
        fi
    done
done

echo
echo "==== kbridge test summary ($(( $(date +%s) - t0 )) s) ===="
for s in "${skips[@]+"${skips[@]}"}"; do echo "  skipped: $s"; done
for f in "${failures[@]+"${failures[@]}"}"; do echo "  failed:  $f"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
