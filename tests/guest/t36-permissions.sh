# Who may do what. The image's udev rule (60-kbridge.rules, shipped here in
# /etc/udev/rules.d) makes /dev/kbridge root:kbridge 0660 and gives group
# kbridge the sysfs `value` files. There is no udev in this initramfs, so the
# rule's GROUP, MODE and RUN are extracted from the shipped file and applied
# the way udev would. Then:
#   root                   everything
#   member (in kbridge)    device (read/write/ioctl/mmap), sysfs writes
#   user (not in kbridge)  procfs and sysfs reads only
. ./lib.sh
load_module
RULE=/etc/udev/rules.d/60-kbridge.rules
rule=$(grep -v '^#' $RULE | grep 'KERNEL=="kbridge"')
group=$(echo "$rule" | sed -n 's/.*GROUP="\([^"]*\)".*/\1/p')
mode=$(echo "$rule" | sed -n 's/.*MODE="\([^"]*\)".*/\1/p')
run=$(echo "$rule" | sed -n "s/.*RUN+=\"\/bin\/sh -c '\([^']*\)'\".*/\1/p")
devpath=$(readlink -f /sys/class/misc/kbridge)
if [ -z "$group" ] || [ -z "$mode" ] || [ -z "$run" ]; then
    ktest_fail udev-rule "could not read GROUP/MODE/RUN from $RULE: $rule"
    exit 0
fi
chgrp "$group" /dev/kbridge && chmod "$mode" /dev/kbridge
sh -c "$(echo "$run" | sed "s|%S%p|$devpath|")"
expect_eq udev-rule-device "$(stat -c '%a %U %G' /dev/kbridge)" "660 root kbridge"
expect_eq udev-rule-sysfs "$(stat -c '%a %G' /sys/class/misc/kbridge/device/lines/relay/value)" "664 kbridge"

# busybox has no su: kbridge-test run-as UID GIDS CMD sets exactly these ids.
as_user() { kbridge-test run-as 1000 1000 "$@"; }
as_member() { kbridge-test run-as 1001 1001,900 "$@"; }
expect_eq run-as-works "$(as_member id -u):$(as_member id -G)" "1001:1001 900"
L=/sys/class/misc/kbridge/device/lines

# The unprivileged user: reads through procfs and sysfs, nothing else.
check user-procfs-read as_user kbridge --via procfs get relay
check user-sysfs-read as_user cat $L/relay/value
as_user kbridge --via ioctl get relay >/dev/null 2>&1; rc=$?
expect_eq user-ioctl-denied-exit4 "$rc" 4
as_user kbridge --via sysfs set relay 1 >/dev/null 2>&1; rc=$?
expect_eq user-sysfs-write-denied-exit4 "$rc" 4
err=$(as_user sh -c "echo 1 > $L/relay/value" 2>&1); rc=$?
case "$rc:$err" in
    [1-9]*:*"Permission denied"*) ktest_pass user-sysfs-write-eacces ;;
    *) ktest_fail user-sysfs-write-eacces "exit $rc: $err" ;;
esac
expect_eq user-changed-nothing "$(cat $L/relay/value)" 0

# A kbridge group member: every interface.
before=$(cat $L/relay/value)
check member-ioctl-set as_member kbridge --via ioctl set relay 1
check member-chardev-toggle as_member kbridge --via chardev toggle relay
check member-sysfs-set as_member kbridge --via sysfs set relay 1
check member-mmap-get as_member kbridge --via mmap get relay
expect_eq member-changes-applied "$(cat $L/relay/value)" 1
kbridge --via ioctl set relay "$before"

# procfs stays world-readable, read-only even for root.
expect_eq procfs-mode "$(stat -c '%a' /proc/kbridge)" 444
# Undo, so later tests see the devtmpfs defaults again.
chgrp root /dev/kbridge
