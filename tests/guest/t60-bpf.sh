# The eBPF map interface (docs/bpf.md): a BPF program on kbridge:kbridge_line_change
# mirrors the module's state into pinned maps. Attach, seed, follow changes made through
# every interface, keep working after the CLI exits, ring buffer events in order (and
# overflow accounting, in kbridge-test), module unload while attached, detach without residue.
. ./lib.sh
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
PIN=/sys/fs/bpf/kbridge
TP=/sys/kernel/tracing/events/kbridge/kbridge_line_change
REFCNT=/sys/module/kbridge/refcnt

# bpffs and tracefs (the init mounts both; mount them if a test before us didn't keep them).
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing
check bpffs grep -q ' /sys/fs/bpf bpf ' /proc/mounts
check tracefs grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts

# Without the module there is nothing to attach to: exit 5 (not loaded).
unload_module
kbridge bpf attach >/dev/null 2>&1; expect_eq attach-not-loaded-exit "$?" 5
load_module || { ktest_fail load "insmod failed"; exit 0; }
check tracepoint-exists test -f "$TP/format"

# Some history before attaching, so seeding has something to get right.
kbridge set relay 1 --via ioctl
kbridge set status 1 --via ioctl
kbridge set relay 0 --via sysfs

# Every line, every field (value, changes, last source, last change time) as the module
# has it (ioctl) and as the map has it.
same_state() {
    a=$(kbridge list --json --via ioctl | sed 's/"via":"ioctl"//')
    b=$(kbridge list --json --via bpf | sed 's/"via":"bpf"//')
    [ -n "$a" ] && [ "$a" = "$b" ] || { echo "ioctl: $a"; echo "bpf:   $b"; return 1; }
}

ref0=$(cat "$REFCNT")
check attach kbridge bpf attach
for f in link lines events stats; do check "pinned-$f" test -e "$PIN/$f"; done
check status-attached sh -c 'kbridge bpf status | grep -q "^attached  yes"'
check status-program sh -c 'kbridge bpf status | grep -q "^programs  kbridge_mirror \[[0-9]"'
# The perf event behind the link holds a reference on the module that defines the tracepoint.
expect_eq attach-takes-module-ref "$(cat "$REFCNT")" $((ref0 + 1))
check attach-twice-refused sh -c '! kbridge bpf attach 2>/dev/null'
check seeded same_state

# The CLI that attached has exited: every change below reaches the map through the pinned
# program alone.
check change-via-sysfs sh -c 'echo 1 > /sys/class/misc/kbridge/device/lines/relay/value'
check map-after-sysfs same_state
expect_eq get-via-bpf-sysfs "$(kbridge get relay --via bpf)" "relay=1"
check change-via-chardev sh -c 'echo "set relay 0" > /dev/kbridge'
check map-after-chardev same_state
expect_eq get-via-bpf-chardev "$(kbridge get relay --via bpf)" "relay=0"
check change-via-ioctl kbridge set relay=1 fault=1 --via ioctl
check map-after-ioctl same_state
expect_eq get-via-bpf-ioctl "$(kbridge get relay fault --via bpf | tr '\n' ' ')" "relay=1 fault=1 "
echo pull-up > "$(sim_line 4)/pull"; sleep 0.2
check map-after-hw-edge same_state
expect_eq get-via-bpf-hw-edge "$(kbridge get button --via bpf)" "button=1"
check hw-edge-source sh -c 'kbridge list --via bpf | grep "^button" | grep -q hardware'
echo pull-down > "$(sim_line 4)/pull"; sleep 0.2
check map-after-hw-edge-2 same_state
# An LED changed behind kbridge's back (LED class sysfs) is picked up as a kernel change.
echo 0 > /sys/class/leds/board:red:fault/brightness
kbridge get fault --via ioctl >/dev/null
check map-after-led-class same_state
if kbridge get relay --via netlink >/dev/null 2>&1; then
    check change-via-netlink kbridge set relay 0 --via netlink
    check map-after-netlink same_state
else
    ktest_skip change-via-netlink "kbridge --via netlink does not work in this build: $(kbridge get relay --via netlink 2>&1 | head -1)"
fi
check info-via-bpf sh -c 'kbridge info --via bpf | grep -q "^seq"'
check bpf-is-read-only sh -c '! kbridge set relay 1 --via bpf 2>/dev/null'
kbridge set relay 1 --via bpf >/dev/null 2>&1; expect_eq bpf-set-exit "$?" 2
# bpffs shows the BTF-typed maps to plain tools (bpftool: t61-bpftool.sh).
cat "$PIN/lines" > /tmp/bpf-lines 2>&1; echo "cat $PIN/lines:"; head -3 /tmp/bpf-lines
check cat-line-map grep -q '^0: {' /tmp/bpf-lines

# Ring buffer events, in order, through the library (the CLI's watch).
kbridge set relay=1 status=1 --via ioctl
kbridge watch --via bpf -n 4 --timeout 10 > /tmp/bpf-events 2>/tmp/bpf-events.err &
wpid=$!
sleep 1
kbridge set relay 0 --via ioctl
echo 1 > /sys/class/misc/kbridge/device/lines/relay/value
echo "set relay 0" > /dev/kbridge
kbridge set status 0 --via ioctl
wait $wpid; expect_eq watch-exit "$?" 0
expect_eq watch-count "$(grep -c '^seq=' /tmp/bpf-events)" 4
expect_eq watch-lines "$(awk '{print $3, $4, $6, $7}' /tmp/bpf-events | tr '\n' '|')" \
    "relay 1 0 source=ioctl|relay 0 1 source=sysfs|relay 1 0 source=chardev|status 1 0 source=ioctl|"
check watch-seq-increasing sh -c "sed 's/^seq=\([0-9]*\).*/\1/' /tmp/bpf-events | awk 'NR>1 && \$1 != p+1 {exit 1} {p=\$1}'"
# The format file vs the program's ctx, overflow accounting, a second reader refused (its
# own KTAP result lines).
probe bpf

# All seven interfaces at once: with the program attached, selftest writes through
# every writable interface and reads every change back through every readable one,
# the pinned map included, checking one event with the writer's source per change.
kbridge selftest --json > /tmp/selftest.json 2>&1; rc=$?
expect_eq selftest-seven-exit "$rc" 0
tr -d '\n ' < /tmp/selftest.json | sed -n 's/.*"readers":\[\([^]]*\)\].*/\1/p' > /tmp/st.r
tr -d '\n ' < /tmp/selftest.json | sed -n 's/.*"writers":\[\([^]]*\)\].*/\1/p' > /tmp/st.w
expect_eq selftest-seven-writers "$(cat /tmp/st.w)" '"sysfs","chardev","ioctl","netlink"'
expect_eq selftest-seven-readers "$(cat /tmp/st.r)" '"procfs","sysfs","ioctl","mmap","netlink","bpf"'
check selftest-seven-none-skipped grep -q '"skipped":\[\]' /tmp/selftest.json

# Module unload while attached: the perf event pins the module, so rmmod is refused with
# EBUSY and everything keeps working; after detach it unloads.
if rmmod kbridge 2>/tmp/rmmod.err; then
    ktest_fail unload-while-attached "rmmod succeeded while the program was attached"
    load_module
else
    ktest_pass unload-while-attached-refused
    echo "rmmod while attached: $(cat /tmp/rmmod.err)"
    # busybox rmmod uses O_NONBLOCK: a module in use gives EWOULDBLOCK.
    check unload-refused-in-use grep -qi 'unavailable\|in use\|busy' /tmp/rmmod.err
fi
check still-loaded module_loaded
check change-after-refused-unload kbridge toggle relay --via ioctl
check map-after-refused-unload same_state

# Detach: no pins, no program, the module reference is gone, and the module unloads.
check detach kbridge bpf detach
check pin-dir-gone test ! -e "$PIN"
expect_eq detach-drops-module-ref "$(cat "$REFCNT")" "$ref0"
gone=no
for _ in 1 2 3 4 5 6 7 8 9 10; do
    kbridge bpf status | grep -q '^programs  kbridge_mirror \[\]' && { gone=yes; break; }
    sleep 0.5
done
expect_eq program-freed "$gone" yes
check status-detached sh -c 'kbridge bpf status | grep -q "^attached  no"'
check get-after-detach-fails sh -c '! kbridge get relay --via bpf 2>/dev/null'
check detach-twice-refused sh -c '! kbridge bpf detach 2>/dev/null'
check unload-after-detach rmmod kbridge
# Attach again on a fresh module: seeding from probe state.
load_module
check reattach kbridge bpf attach
check reseeded same_state
check detach-again kbridge bpf detach
unload_module
