# The C clients of examples/c, one per interface, built against the generated
# uAPI header (kmod/uapi/kbridge.h): each reads the same state as the kbridge
# CLI, each writer's change is seen by the others, each waiter wakes.
. ./lib.sh
for c in procfs sysfs chardev ioctl mmap netlink bpf; do
    command -v "kbridge-$c" >/dev/null || { ktest_fail "present-$c" "kbridge-$c not in the initramfs"; exit 0; }
done
load_module || { ktest_fail load "insmod failed"; exit 0; }
T=/tmp/t80; mkdir -p $T

# name=value of every line, as the CLI (ioctl) sees it, sorted: the reference.
# shellcheck disable=SC2046 # line names are plain words
ref() { kbridge get $(ls /sys/class/misc/kbridge/device/lines) --via ioctl | sort; }

kbridge set relay=1 lamp=0 status=1 --via ioctl >/dev/null
ref > $T/ref
check ref-has-lines grep -q '^relay=1$' $T/ref

# Readers: procfs, ioctl listing, mmap page, netlink dump all agree with the CLI.
kbridge-procfs | sort > $T/procfs; expect_eq procfs-reads-state "$(cat $T/procfs)" "$(cat $T/ref)"
kbridge-ioctl | sed -n 's/^\([^ ]*=[0-9]*\) max=.*/\1/p' | sort > $T/ioctl
expect_eq ioctl-reads-state "$(cat $T/ioctl)" "$(cat $T/ref)"
kbridge-mmap | sort > $T/mmap; expect_eq mmap-reads-state "$(cat $T/mmap)" "$(cat $T/ref)"
kbridge-netlink | sort > $T/netlink; expect_eq netlink-dump-reads-state "$(cat $T/netlink)" "$(cat $T/ref)"

# Writers: sysfs, chardev text command, ioctl SET_VALUES, each seen by the CLI.
check sysfs-write kbridge-sysfs relay set 0
expect_eq sysfs-write-seen "$(kbridge get relay --via procfs)" relay=0
check chardev-write kbridge-chardev write "set lamp 1"
expect_eq chardev-write-seen "$(kbridge get lamp --via mmap)" lamp=1
check ioctl-write kbridge-ioctl set relay 1 lamp 0
expect_eq ioctl-write-seen "$(kbridge get relay lamp --via netlink | tr '\n' ' ')" "relay=1 lamp=0 "
# Refused requests change nothing: an input line, a value above the maximum.
before=$(ref)
if kbridge-ioctl set relay 0 button 1 2>$T/err; then ktest_fail ioctl-refused "set of an input line succeeded"
else expect_eq ioctl-refused-changes-nothing "$(ref)" "$before"; fi
if kbridge-sysfs relay set 7 2>/dev/null; then ktest_fail sysfs-refused "value 7 on a GPIO accepted"
else expect_eq sysfs-refused-changes-nothing "$(ref)" "$before"; fi

# Waiters: sysfs poll(), chardev records, netlink multicast, mmap polling.
kbridge-sysfs lamp watch 1 5000 > $T/sysfs-watch 2>&1 & p1=$!
kbridge-chardev read 2 5000 > $T/chardev-read 2>&1 & p2=$!
kbridge-netlink events 2 5000 > $T/nl-events 2>&1 & p3=$!
kbridge-mmap lamp 1 5000 > $T/mmap-wait 2>&1 & p4=$!
wait_for $T/sysfs-watch '^lamp=0$'; wait_for $T/chardev-read '^ready$'; wait_for $T/nl-events '^ready$'
seq0=$(sed -n 's/^board .* seq \([0-9]*\)$/\1/p' /proc/kbridge)
kbridge set lamp 1 --via ioctl >/dev/null
kbridge set relay 0 --via ioctl >/dev/null
wait $p1; expect_eq sysfs-poll-wakes "$?:$(tail -1 $T/sysfs-watch)" "0:lamp=1"
wait $p2; r2=$?
expect_eq chardev-reads-records "$r2:$(grep -c '^seq=' $T/chardev-read)" "0:2"
check chardev-record-fields grep -q "^seq=$((seq0 + 1)) line=2 0->1 source=ioctl dropped=0$" $T/chardev-read
wait $p3; r3=$?
expect_eq netlink-events "$r3:$(grep -c '^event ' $T/nl-events)" "0:2"
check netlink-event-fields grep -q "^event seq=$((seq0 + 2)) relay 1->0$" $T/nl-events
wait $p4; expect_eq mmap-sees-change "$?:$(cat $T/mmap-wait)" "0:lamp=1"

# The BPF map, once the program is attached, mirrors the same values.
grep -q ' /sys/fs/bpf bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
if kbridge bpf attach >/dev/null 2>$T/bpf-err; then
    # Line i's value in index order: the map's, and the mmap client's (checked above).
    kbridge-bpf "$(grep -c . $T/ref)" | sed -n 's/^line [0-9]*=\([0-9]*\) .*/\1/p' > $T/bpf
    kbridge-mmap | sed 's/.*=//' > $T/mmap-values
    expect_eq bpf-map-reads-state "$(tr '\n' ' ' < $T/bpf)" "$(tr '\n' ' ' < $T/mmap-values)"
    kbridge bpf detach >/dev/null
else
    ktest_fail bpf-attach "$(cat $T/bpf-err)"
fi
check no-bpf-after-detach sh -c '! kbridge-bpf 1 2>/dev/null'
