# The agent binary runs on the board.
. ./lib.sh

if [ ! -x /usr/bin/kbridge ]; then
    ktest_fail agent-present "/usr/bin/kbridge missing from the initramfs"
    exit 0
fi
out=$(kbridge --version 2>&1)
case "$out" in
    kbridge\ *) ktest_pass version ;;
    *) ktest_fail version "kbridge --version printed '$out'" ;;
esac
