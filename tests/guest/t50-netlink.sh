# Generic netlink (family "kbridge"): every command through the CLI, the line
# dump, events on the multicast group for changes made through every other
# interface and by the hardware, permissions (changes need CAP_NET_ADMIN, reads
# don't), unbind safety, and kbridge-test's malformed-request probes.
. ./lib.sh
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }
L=/sys/class/misc/kbridge/device/lines
sim_val() { cat "$(sim_line "$1")/value"; }
nl() { kbridge --via netlink "$@"; }
proc_seq() { sed -n 's/^board .* seq \([0-9]*\).*/\1/p' /proc/kbridge; }

# --- commands -----------------------------------------------------------------
check info nl info
info=$(nl info 2>&1)   # (not $out: check() uses it)
expect_eq info-board "$(echo "$info" | sed -n 's/^board *//p')" qemu-virt
expect_eq info-abi "$(echo "$info" | sed -n 's/^abi *//p')" 1
expect_eq info-lines "$(echo "$info" | sed -n 's/^lines *//p')" 8
expect_eq info-seq "$(echo "$info" | sed -n 's/^seq *//p')" "$(proc_seq)"
# The dump lists every line exactly as ioctl does (values, flags, changes, sources).
expect_eq list-dump "$(nl list 2>&1)" "$(kbridge --via ioctl list 2>&1)"
expect_eq list-count "$(nl list | wc -l)" 9
expect_eq get-one "$(nl get relay)" "relay=$(kbridge --via ioctl get relay | cut -d= -f2)"
expect_eq get-led "$(nl get status)" "status=$(cat $L/status/value)"

check set nl set relay 1
expect_eq set-hw "$(sim_val 0)" 1
check set-source grep -q '^line 0 relay .* source=netlink ' /proc/kbridge
check set-active-low nl set buzzer 1
expect_eq set-active-low-hw "$(sim_val 1)" 0
check set-multi nl set relay=0 status=1
expect_eq set-multi-relay "$(sim_val 0)" 0
expect_eq set-multi-led "$(cat /sys/class/leds/board:green:status/brightness)" 1
check toggle nl toggle status relay
expect_eq toggle-led "$(cat /sys/class/leds/board:green:status/brightness)" 0
expect_eq toggle-relay "$(sim_val 0)" 1
# Refused requests change nothing (all or nothing).
seq0=$(proc_seq)
check set-input-refused sh -c '! kbridge --via netlink set relay=0 button=1'
check set-range-refused sh -c '! kbridge --via netlink set relay=0 status=2'
check toggle-input-refused sh -c '! kbridge --via netlink toggle relay door'
expect_eq refused-unchanged "$(sim_val 0)" 1
expect_eq refused-seq "$(proc_seq)" "$seq0"
nl get nosuch >/dev/null 2>&1; expect_eq unknown-name-exit "$?" 3
nl set nosuch 1 >/dev/null 2>&1; expect_eq set-unknown-name-exit "$?" 3

# --- permissions: reads for everyone, changes need CAP_NET_ADMIN ----------------
expect_eq user-read "$(su user -c 'kbridge --via netlink get relay' 2>&1)" "relay=1"
err=$(su user -c 'kbridge --json --via netlink set relay 0' 2>&1)
check user-set-eperm sh -c "echo '$err' | grep -q '\"errno\":1[,}]'"
err=$(su user -c 'kbridge --json --via netlink toggle relay' 2>&1)
check user-toggle-eperm sh -c "echo '$err' | grep -q '\"errno\":1[,}]'"
su user -c 'kbridge --via netlink set relay 0' >/dev/null 2>&1
expect_eq user-set-exit-permission "$?" 4
expect_eq user-set-unchanged "$(sim_val 0)" 1

# --- events: one per change, whoever makes it, with its source ------------------
# watch_one NAME ACTION EXPECTED: start a netlink listener, run ACTION, check the
# one event it prints ends with EXPECTED and carries the board's new seq.
# (kbridge runs directly in the background, not through nl(): $! must be its pid.)
# WATCH_NS="unshare -n" runs the listener in a network namespace of its own.
watch_one() {
    $WATCH_NS kbridge --via netlink watch -n 1 --timeout 5 > /tmp/ev.out 2>/dev/null &
    pid=$!
    sleep 0.5
    sh -c "$2"
    wait $pid
    ev=$(cat /tmp/ev.out)
    case "$ev" in
        *"$3") expect_eq "$1-seq" "${ev%% *}" "seq=$(proc_seq)" ;;
        *) ktest_fail "$1" "event '$ev', expected '... $3'"; return ;;
    esac
    ktest_pass "$1"
}
watch_one event-sysfs "echo 0 > $L/relay/value" "relay 1 -> 0 source=sysfs"
watch_one event-chardev "echo 'set relay 1' > /dev/kbridge" "relay 0 -> 1 source=chardev"
watch_one event-ioctl "kbridge --via ioctl set relay 0" "relay 1 -> 0 source=ioctl"
watch_one event-netlink "kbridge --via netlink set status 1" "status 0 -> 1 source=netlink"
watch_one event-hardware "echo pull-up > $(sim_line 4)/pull" "button 0 -> 1 source=hardware"
watch_one event-hardware-down "echo pull-down > $(sim_line 4)/pull" "button 1 -> 0 source=hardware"
# The family works in every network namespace (netnsok), and so do its events.
WATCH_NS="unshare -n" watch_one event-other-netns "echo 1 > $L/relay/value" "relay 0 -> 1 source=sysfs"
expect_eq get-other-netns "$(unshare -n kbridge --via netlink get relay 2>&1)" "relay=1"
echo 0 > $L/relay/value
watch_one event-led-external "echo 0 > /sys/class/leds/board:green:status/brightness; cat /proc/kbridge >/dev/null" "status 1 -> 0 source=kernel"
# An atomic two-line change: two events, consecutive seqs.
kbridge --via netlink watch -n 2 --timeout 5 > /tmp/ev.out 2>/dev/null &
pid=$!; sleep 0.5
s=$(proc_seq)
nl set relay=1 status=1
wait $pid
expect_eq event-multi "$(sed 's/ t=[0-9.]*//' /tmp/ev.out | tr '\n' '|')" \
    "seq=$((s + 1)) relay 0 -> 1 source=netlink|seq=$((s + 2)) status 0 -> 1 source=netlink|"

# A stopped listener overruns its socket (ENOBUFS); once it reads again, the gap
# in seq is reported as dropped: every change is either delivered or counted.
kbridge --via netlink --json watch --timeout 3 > /tmp/ev.json 2>/dev/null &
pid=$!; sleep 0.5
s0=$(proc_seq)
kill -STOP $pid
i=0
while [ $i -lt 1500 ]; do echo 1 > $L/relay/value; echo 0 > $L/relay/value; i=$((i + 1)); done
kill -CONT $pid
sleep 1
echo 1 > $L/relay/value   # the next event shows the gap
wait $pid
s1=$(proc_seq)
# watch prints each gap as its own record before the event that revealed it.
n=$(grep -c '"type":"event"' /tmp/ev.json)
dropped=$(grep '"type":"gap"' /tmp/ev.json | sed -n 's/.*"dropped":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
last=$(tail -1 /tmp/ev.json | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
expect_eq overrun-accounted "$((n + dropped))" "$((s1 - s0))"
expect_eq overrun-last-seq "$last" "$s1"
if [ "$dropped" -gt 0 ]; then ktest_pass overrun-dropped; else ktest_fail overrun-dropped "no event reported dropped ($n delivered of $((s1 - s0)))"; fi

# --- raw probes: malformed and refused requests (kbridge-test) --------------------
if command -v kbridge-test >/dev/null; then
    probe netlink
else
    ktest_fail probes "kbridge-test not in the initramfs"
fi

# --- unbind safety: commands racing an unbind get ENODEV, never a freed board ----
dev=
for d in /sys/bus/platform/drivers/kbridge/*; do
    [ -L "$d" ] && [ "$(basename "$d")" != module ] && dev=$(basename "$d")
done
if [ -n "$dev" ] && [ -e "/sys/bus/platform/drivers/kbridge/$dev" ]; then
    ( i=0; while [ $i -lt 200 ]; do kbridge --via netlink list >/dev/null 2>&1; i=$((i + 1)); done ) &
    racer=$!
    j=0
    while [ $j -lt 5 ]; do
        echo "$dev" > /sys/bus/platform/drivers/kbridge/unbind
        echo "$dev" > /sys/bus/platform/drivers/kbridge/bind
        j=$((j + 1))
    done
    wait $racer
    echo "$dev" > /sys/bus/platform/drivers/kbridge/unbind
    err=$(kbridge --json --via netlink info 2>&1)
    check unbound-enodev sh -c "echo '$err' | grep -q '\"errno\":19[,}]'"
    echo "$dev" > /sys/bus/platform/drivers/kbridge/bind
    check rebound nl info
else
    ktest_fail unbind "no kbridge device under /sys/bus/platform/drivers/kbridge"
fi

# Unload with a listener still subscribed.
kbridge --via netlink watch --timeout 2 >/dev/null 2>&1 &
pid=$!; sleep 0.3
check rmmod-with-listener rmmod kbridge
wait $pid
nl info >/dev/null 2>&1; expect_eq unloaded-exit "$?" 5
