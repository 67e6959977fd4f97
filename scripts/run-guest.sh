#!/usr/bin/env bash
# Boot the emulated board on one lane: scripts/run-guest.sh <lane> test|probe|demo|shell
# test: runs tests/guest/t*.sh in the guest, parses the console's KTAP output
#       (tests/host/ktap.py), prints the lane's summary and writes
#       out/<lane>/result-test ("<passed> <failed> <skipped>").
#       KBRIDGE_TESTS=GLOB runs only the matching files (e.g. 't32-*.sh');
#       KBRIDGE_FUZZ=SECONDS|Nm [KBRIDGE_FUZZ_SEED=N] sets the fuzz campaign's length.
# probe: the same for tests/guest/probe-*.sh, on a board whose DT also has
#       the broken kbridge nodes of tests/dts/probe-errors.dtso (result-probe).
#       Fails on a failed test, a guest that never finishes (timeout), or any
#       kernel report on the console (oops, BUG, WARNING, KASAN, UBSAN, lockdep,
#       kmemleak, hung task, panic).
# Lane rpi4 boots the 6.12 Image on QEMU's raspi4b with the mainline Pi 4 DTB +
# the product's Pi overlay (scripts/rpi-dtb.sh) and runs tests/guest/r*.sh.
. "$(dirname "$0")/lib.sh"
. "$KB_ROOT/scripts/qemu.env"
lane=${1:?usage: run-guest.sh <lane> test|demo|shell}; mode=${2:-test}
klane=$(kb_lane_kernel "$lane")
kdir=$(kb_kernel_dir "$klane")
ko=$("$KB_ROOT/scripts/build-kmod.sh" "$klane")
initrd=$("$KB_ROOT/scripts/initramfs.sh" "$klane" "$ko")
# A hung guest fails the run after this long. The debug lane's suite takes
# about 15 min under KASAN (its fuzz and fault-injection campaigns included)
# when it shares the machine with a kernel build, so it gets twice as long.
default_timeout=900; [ "$lane" = 6.12-debug ] && default_timeout=1800
timeout_s=${KBRIDGE_GUEST_TIMEOUT:-$default_timeout}
# KBRIDGE_FUZZ=SECONDS (or Nm): the length of the fuzz campaign (tests/guest/t37-fuzz.sh).
fuzz=${KBRIDGE_FUZZ:-}
case "$fuzz" in *m) fuzz=$(( ${fuzz%m} * 60 )) ;; esac
[ -z "$fuzz" ] || timeout_s=$(( timeout_s + fuzz ))
out="$KB_OUT/$lane"; mkdir -p "$out"; console="$out/console-$mode.log"
if [ "$lane" = rpi4 ]; then
    [ "$mode" = probe ] && kb_die "lane rpi4 has no probe-error board"
    dtb=$("$KB_ROOT/scripts/rpi-dtb.sh")
    tests=${KBRIDGE_TESTS:-r[0-9]*.sh}
    # raspi4b fixes the CPU (4x Cortex-A72) and memory (2 GiB); UART0 is the PL011.
    machine=(-machine "$KB_QEMU_RPI4_MACHINE")
else
    extra_dts=()
    [ "$mode" = probe ] && extra_dts=("$KB_ROOT/tests/dts/probe-errors.dtso")
    dtb=$("$KB_ROOT/scripts/board-dtb.sh" "${extra_dts[@]+"${extra_dts[@]}"}")
    tests=${KBRIDGE_TESTS:-}
    machine=(-machine "$KB_QEMU_MACHINE" -cpu "$KB_QEMU_CPU" -smp "$KB_QEMU_SMP" -m "$KB_QEMU_MEM")
fi

qemu=("$KB_QEMU" "${machine[@]}"
      -nographic -nic none -no-reboot -kernel "$kdir/arch/arm64/boot/Image" -initrd "$initrd" -dtb "$dtb"
      -append "console=ttyAMA0 rdinit=/init panic=-1 kb_mode=$mode${tests:+ kb_tests=$tests}${fuzz:+ kb_fuzz=$fuzz}${KBRIDGE_FUZZ_SEED:+ kb_fuzz_seed=$KBRIDGE_FUZZ_SEED}")
if [ "$mode" = shell ]; then
    exec "${qemu[@]}"
fi

kb_log "lane $lane: booting the emulated board ($mode)"
start=$(date +%s)
set +e
: > "$console.raw"
"${qemu[@]}" </dev/null >"$console.raw" 2>&1 &
qpid=$!
follow=
if [ -n "${KBRIDGE_VERBOSE:-}" ] || [ "$mode" = demo ]; then tail -n +1 -f "$console.raw" & follow=$!; fi
# Wait for QEMU to exit. Some machines can't power off (raspi4b: "Power off not
# available: System halted instead"), so once the guest printed its end marker
# QEMU gets 5 s to exit before it is stopped; the timeout stops a hung guest.
rc=0 ended=
while kill -0 $qpid 2>/dev/null; do
    now=$(date +%s)
    if [ -z "$ended" ] && grep -qE '^(# kbridge-tests-end|KBRIDGE-DEMO-END)' "$console.raw"; then ended=$now; fi
    if [ -n "$ended" ] && [ $((now - ended)) -ge 5 ]; then kill $qpid 2>/dev/null; break; fi
    if [ $((now - start)) -ge "$timeout_s" ]; then kill $qpid 2>/dev/null; rc=124; break; fi
    sleep 0.5
done
wait $qpid 2>/dev/null
tr -d '\r' < "$console.raw" > "$console" && rm -f "$console.raw"
[ -n "$follow" ] && { sleep 0.5; kill $follow 2>/dev/null; wait $follow 2>/dev/null; }
set -e
secs=$(( $(date +%s) - start ))
[ "$mode" = demo ] && { grep -q KBRIDGE-DEMO-END "$console" || kb_die "demo did not finish (console: $console)"; exit 0; }

# The cases' results (KTAP): "FAIL|SKIP file/case: reason" lines, "PROBLEM: ..." for a
# malformed document, then "<passed> <failed> <skipped>". Exit 2: the document ends early.
ktap=$(/usr/bin/python3 "$KB_ROOT/tests/host/ktap.py" "$console") && krc=0 || krc=$?
read -r pass fail skip < <(echo "$ktap" | tail -1)
problems=()
if ! [[ "$pass $fail $skip" =~ ^[0-9]+\ [0-9]+\ [0-9]+$ ]]; then
    pass=0 fail=0 skip=0 krc=0; problems+=("tests/host/ktap.py failed: $(echo "$ktap" | tail -3 | tr '\n' ' ')")
fi
if ! grep -q '^# kbridge-tests-end' "$console"; then
    [ "$rc" = 124 ] && problems+=("guest timed out after ${timeout_s}s") || problems+=("guest stopped before the tests finished")
elif [ "$krc" != 0 ]; then
    problems+=("malformed KTAP output: $(echo "$ktap" | grep '^PROBLEM: ' | head -3 | tr '\n' ' ')")
fi
# Kernel reports that fail the run whatever the tests said.
report_re='(Oops|BUG:|WARNING:|Unable to handle kernel|Kernel panic|UBSAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|lockdep: |turning off the locking correctness validator|INFO: task .* blocked|sleeping function called from invalid context|Call trace:)'
if grep -qE "$report_re" "$console"; then
    problems+=("kernel report on the console")
fi

echo "$ktap" | grep '^FAIL ' | sed "s/^/  [$lane] /" >&2 || true
echo "$ktap" | grep '^SKIP ' | sed "s/^/  [$lane] /" >&2 || true
if [ ${#problems[@]} -gt 0 ]; then
    for p in "${problems[@]}"; do echo "  [$lane] PROBLEM: $p" >&2; done
    grep -nE -B3 -A25 "$report_re" "$console" | head -120 | sed "s/^/  [$lane] | /" >&2 || true
    grep -q '^# kbridge-tests-end' "$console" || tail -30 "$console" | sed "s/^/  [$lane] | /" >&2
    fail=$((fail + ${#problems[@]}))
fi
echo "$pass $fail $skip" > "$out/result-$mode"
kb_log "lane $lane: $pass passed, $fail failed, $skip skipped in ${secs}s (console: $console)"
[ "$fail" = 0 ]
