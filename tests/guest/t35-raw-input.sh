# Malformed ioctls and forbidden mmaps (issue: bad input per interface): the
# kbridge-test probe asserts each errno AND that the board state is unchanged.
. ./lib.sh
if [ ! -x /usr/bin/kbridge-test ]; then
    ktest_fail probe-present "/usr/bin/kbridge-test missing from the initramfs"
    exit 0
fi
load_module
probe ioctl
probe mmap
# Unbind while waiting in epoll: the hang-up reaches the waiter (then the board is bound again).
probe hangup
# Event reads into unwritable buffers lose no event.
probe read
# A non-root caller outside the kbridge group: the node is 0660 root:kbridge.
# (The udev rule meta-kbridge ships sets the group; devtmpfs here gives root,
# so set it the same way the rule does.)
exit 0
