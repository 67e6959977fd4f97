# docs/bpf.md "Without the kbridge CLI", followed as a third-party client would: every
# bpftool command the doc gives, run against the pinned objects (Debian bookworm's
# bpftool 7.1.0, scripts/debroot.sh), and its output checked to mean what the doc says.
# Then detaching the way the doc says, with rm -r on the pin directory.
. ./lib.sh
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
command -v bpftool >/dev/null || { ktest_skip bpftool "bpftool not in the initramfs (scripts/debroot.sh failed on the host)"; exit 0; }
PIN=/sys/fs/bpf/kbridge
REFCNT=/sys/module/kbridge/refcnt
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing

check bpftool-runs sh -c 'bpftool version | grep -q "^bpftool v"'
bpftool version | head -3

unload_module
load_module || { ktest_fail load "insmod failed"; exit 0; }
ref0=$(cat "$REFCNT")
kbridge set relay 1 --via ioctl
check attach kbridge bpf attach

# show NAME OUT CMD...: run a documented command (pass if it exits 0), keep its output in
# OUT, and echo the command and the start of its output to the console.
show() {
    n=$1 o=$2; shift 2
    "$@" > "$o" 2>&1; rc=$?
    echo "# $*"; head -24 "$o"
    expect_eq "$n" "$rc" 0
}
# field FILE NAME: the first "NAME": NUMBER in bpftool's BTF-formatted output.
field() { sed -n "s/^ *\"$2\": \([0-9][0-9]*\),*\$/\1/p" "$1" | head -1; }

# map dump of the line array: every entry, the value's fields by name (the map has BTF).
show dump-lines /tmp/bt-dump bpftool map dump pinned "$PIN/lines"
for f in seq timestamp_ns changes value source kind flags reserved; do
    check "dump-lines-field-$f" grep -q "\"$f\": " /tmp/bt-dump
done
expect_eq dump-lines-64-entries "$(grep -c '"key": ' /tmp/bt-dump)" 64

# lookup by key 0 (line 0, relay; the key is a little-endian u32, one byte each): the
# value kbridge get reports, and it follows a kbridge set.
show lookup-0 /tmp/bt-look bpftool map lookup pinned "$PIN/lines" key 0 0 0 0
expect_eq lookup-0-key "$(field /tmp/bt-look key)" 0
expect_eq lookup-0-value "relay=$(field /tmp/bt-look value)" "$(kbridge get relay --via ioctl)"
expect_eq lookup-0-valid "$(( $(field /tmp/bt-look flags) & 1 ))" 1
kbridge set relay 0 --via ioctl
bpftool map lookup pinned "$PIN/lines" key 0 0 0 0 > /tmp/bt-look2 2>&1
expect_eq lookup-0-after-set "relay=$(field /tmp/bt-look2 value)" "$(kbridge get relay --via ioctl)"
expect_eq lookup-0-after-set-changes "$(field /tmp/bt-look2 changes)" $(( $(field /tmp/bt-look changes) + 1 ))
check lookup-0-same-as-dump sh -c "bpftool map dump pinned $PIN/lines | grep -A12 '\"key\": 0,' | grep -q '\"value\": 0,'"
# Written by the program, not the seeding: source SOURCE_IOCTL (4), flags VALID (1) alone.
expect_eq lookup-0-source-ioctl "$(field /tmp/bt-look2 source)" 4
expect_eq lookup-0-flags-not-seeded "$(field /tmp/bt-look2 flags)" 1
# A change through sysfs: SOURCE_SYSFS (2), the next seq.
echo 1 > /sys/class/misc/kbridge/device/lines/relay/value
show lookup-0-sysfs /tmp/bt-look3 bpftool map lookup pinned "$PIN/lines" key 0 0 0 0
expect_eq lookup-0-sysfs-value "relay=$(field /tmp/bt-look3 value)" "$(kbridge get relay --via ioctl)"
expect_eq lookup-0-sysfs-source "$(field /tmp/bt-look3 source)" 2
expect_eq lookup-0-sysfs-seq "$(field /tmp/bt-look3 seq)" $(( $(field /tmp/bt-look2 seq) + 1 ))

# stats: one entry, three counters by name; the set above was counted.
show dump-stats /tmp/bt-stats bpftool map dump pinned "$PIN/stats"
for f in events ringbuf_dropped bad_line; do
    check "dump-stats-field-$f" grep -q "\"$f\": " /tmp/bt-stats
done
# Two changes since attach (the ioctl set and the sysfs write), two hits.
expect_eq dump-stats-events "$(field /tmp/bt-stats events)" 2
expect_eq dump-stats-ringbuf-dropped "$(field /tmp/bt-stats ringbuf_dropped)" 0
expect_eq dump-stats-bad-line "$(field /tmp/bt-stats bad_line)" 0

# The ring buffer: map show says ringbuf (and its name and size).
show show-events /tmp/bt-ev bpftool map show pinned "$PIN/events"
check show-events-ringbuf grep -q ': ringbuf  name kbridge_events' /tmp/bt-ev
check show-events-64k grep -q 'max_entries 65536' /tmp/bt-ev

# The link: a perf_event link holding the program.
show show-link /tmp/bt-link bpftool link show pinned "$PIN/link"
check show-link-perf-event grep -q ': perf_event  prog ' /tmp/bt-link
lprog=$(sed -n 's/.*perf_event  prog \([0-9]*\).*/\1/p' /tmp/bt-link)

# The program by name: a tracepoint program, the one the link holds.
show show-prog /tmp/bt-prog bpftool prog show name kbridge_mirror
check show-prog-tracepoint grep -q ': tracepoint  name kbridge_mirror ' /tmp/bt-prog
expect_eq show-prog-is-linked "$(sed -n 's/^\([0-9]*\): tracepoint.*/\1/p' /tmp/bt-prog)" "$lprog"
show dump-xlated /tmp/bt-xl bpftool prog dump xlated name kbridge_mirror
check dump-xlated-exit grep -q ': (95) exit$' /tmp/bt-xl

# Detaching without kbridge: rm -r on the pins. The program goes once its last reference
# does, the module reference with it, and the module unloads.
check detach-rm rm -r "$PIN"
gone=no
for _ in 1 2 3 4 5 6 7 8 9 10; do
    bpftool prog show name kbridge_mirror 2>/dev/null | grep -q kbridge_mirror || { gone=yes; break; }
    sleep 0.5
done
expect_eq detach-rm-program-freed "$gone" yes
expect_eq detach-rm-drops-module-ref "$(cat "$REFCNT")" "$ref0"
check detach-rm-status sh -c 'kbridge bpf status | grep -q "^attached  no"'
check detach-rm-unload rmmod kbridge
