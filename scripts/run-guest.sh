#!/usr/bin/env bash
# Boot the emulated board on one lane: scripts/run-guest.sh <lane> test|probe|demo|shell
# test: runs tests/guest/t*.sh in the guest, parses the console, prints the
#       lane's summary and writes out/<lane>/result-test ("<passed> <failed> <skipped>").
# probe: the same for tests/guest/probe-*.sh, on a board whose DT also has
#       the broken kbridge nodes of tests/dts/probe-errors.dtso (result-probe).
#       Fails on a failed test, a guest that never finishes (timeout), or any
#       kernel report on the console (oops, BUG, WARNING, KASAN, UBSAN, lockdep,
#       kmemleak, hung task, panic).
. "$(dirname "$0")/lib.sh"
. "$KB_ROOT/scripts/qemu.env"
lane=${1:?usage: run-guest.sh <lane> test|demo|shell}; mode=${2:-test}
kdir=$(kb_kernel_dir "$lane")
ko=$("$KB_ROOT/scripts/build-kmod.sh" "$lane")
initrd=$("$KB_ROOT/scripts/initramfs.sh" "$lane" "$ko")
extra_dts=()
[ "$mode" = probe ] && extra_dts=("$KB_ROOT/tests/dts/probe-errors.dtso")
dtb=$("$KB_ROOT/scripts/board-dtb.sh" "${extra_dts[@]+"${extra_dts[@]}"}")
timeout_s=${KBRIDGE_GUEST_TIMEOUT:-900}
out="$KB_OUT/$lane"; console="$out/console-$mode.log"

qemu=("$KB_QEMU" -machine "$KB_QEMU_MACHINE" -cpu "$KB_QEMU_CPU" -smp "$KB_QEMU_SMP" -m "$KB_QEMU_MEM"
      -nographic -nic none -no-reboot -kernel "$kdir/arch/arm64/boot/Image" -initrd "$initrd" -dtb "$dtb"
      -append "console=ttyAMA0 rdinit=/init panic=-1 kb_mode=$mode")
if [ "$mode" = shell ]; then
    exec "${qemu[@]}"
fi

kb_log "lane $lane: booting the emulated board ($mode)"
start=$(date +%s)
set +e
timeout --foreground -k 5 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$console" \
    | if [ -n "${KBRIDGE_VERBOSE:-}" ] || [ "$mode" = demo ]; then cat; else cat >/dev/null; fi
rc=${PIPESTATUS[0]}
set -e
secs=$(( $(date +%s) - start ))
[ "$mode" = demo ] && { grep -q KBRIDGE-DEMO-END "$console" || kb_die "demo did not finish (console: $console)"; exit 0; }

pass=$(grep -c '^KTEST PASS ' "$console" || true)
fail=$(grep -c '^KTEST FAIL ' "$console" || true)
skip=$(grep -c '^KTEST SKIP ' "$console" || true)
problems=()
if ! grep -q '^KTEST-END' "$console"; then
    [ "$rc" = 124 ] && problems+=("guest timed out after ${timeout_s}s") || problems+=("guest stopped before the tests finished (qemu exit $rc)")
fi
# Kernel reports that fail the run whatever the tests said.
report_re='(Oops|BUG:|WARNING:|Unable to handle kernel|Kernel panic|UBSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|lockdep: |turning off the locking correctness validator|INFO: task .* blocked|sleeping function called from invalid context|Call trace:)'
if grep -qE "$report_re" "$console"; then
    problems+=("kernel report on the console")
fi

grep '^KTEST FAIL ' "$console" | sed "s/^/  [$lane] /" >&2 || true
grep '^KTEST SKIP ' "$console" | sed "s/^/  [$lane] /" >&2 || true
if [ ${#problems[@]} -gt 0 ]; then
    for p in "${problems[@]}"; do echo "  [$lane] PROBLEM: $p" >&2; done
    grep -nE -B3 -A25 "$report_re" "$console" | head -120 | sed "s/^/  [$lane] | /" >&2 || true
    grep -q '^KTEST-END' "$console" || tail -30 "$console" | sed "s/^/  [$lane] | /" >&2
    fail=$((fail + ${#problems[@]}))
fi
echo "$pass $fail $skip" > "$out/result-$mode"
kb_log "lane $lane: $pass passed, $fail failed, $skip skipped in ${secs}s (console: $console)"
[ "$fail" = 0 ]
