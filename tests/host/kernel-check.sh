#!/usr/bin/env bash
# kmod/kernel-check.mk against fake kernel trees: a tree with everything at
# 6.12.114+ passes; each missing requirement, and each version below the
# minimum, stops with a message naming it.
set -euo pipefail
mk="$(cd "$(dirname "$0")/../.." && pwd)/kmod/kernel-check.mk"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0

tree() { # tree DIR SETTER_RETURN HAS_KVEC
    mkdir -p "$1/include/linux/gpio" "$1/rust/kernel/alloc"
    echo "$2 gpiod_set_value_cansleep(struct gpio_desc *desc, int value);" > "$1/include/linux/gpio/consumer.h"
    [ "$3" = y ] && touch "$1/rust/kernel/alloc/kvec.rs" || true
}
# run NAME TREE VERSION PATCHLEVEL SUBLEVEL EXPECT(ok|regex)
run() {
    local out rc=0
    out=$(make -s -f "$mk" --eval 'check: ; @:' srctree="$2" VERSION="$3" PATCHLEVEL="$4" SUBLEVEL="$5" check 2>&1) || rc=$?
    if [ "$6" = ok ]; then
        [ $rc = 0 ] && return 0
        echo "FAIL $1: expected to pass, got: $out"; fails=$((fails + 1))
    elif [ $rc = 0 ] || ! grep -qE "$6" <<<"$out"; then
        echo "FAIL $1: expected an error matching '$6', got rc=$rc: $out"; fails=$((fails + 1))
    fi
}
tree "$tmp/good" int y
tree "$tmp/void" void y
tree "$tmp/nokvec" int n
run good-6.12.114 "$tmp/good" 6 12 114 ok
run good-6.18 "$tmp/good" 6 18 0 ok
run good-7.2 "$tmp/good" 7 2 13 ok
run old-sublevel "$tmp/good" 6 12 113 'this is Linux 6.12.113; kbridge needs Linux 6.12.114'
run old-6.6 "$tmp/good" 6 6 80 'this is Linux 6.6.80'
run void-setter "$tmp/void" 6 12 120 'does not return int'
run no-kvec "$tmp/nokvec" 6 12 120 'no kvec.rs'
[ $fails = 0 ] && echo "kernel-check: 7 cases passed"
[ $fails = 0 ]
