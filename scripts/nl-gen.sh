#!/usr/bin/env bash
# Generate the kernel side of the kbridge generic netlink family from its spec
# (docs/netlink/kbridge.yaml) with the kernel's own YNL generator, pinned to
# the 6.12 tree (the gate lane; its output builds on 7.x too):
#   scripts/nl-gen.sh [outdir]      (default: kmod/)
# writes uapi/kbridge-nl-uapi.h (enums; the generated code includes it as
# <uapi/kbridge-nl-uapi.h>), kbridge-nl-gen.h and kbridge-nl-gen.c
# (policies, split ops, multicast groups). The generator first validates the
# spec against the kernel's genetlink schema (Documentation/netlink/genetlink.yaml).
# File names use dashes so tests/host/glue-abi.sh (kmod/glue/kbridge_*.h) skips them.
. "$(dirname "$0")/lib.sh"
out=${1:-$KB_ROOT/kmod}
mkdir -p "$out"; out=$(cd "$out" && pwd)

# The 6.12 tree scripts/kernel.sh unpacked; else just the two directories we
# need, straight from the tarball.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
src=
for d in "$KB_CACHE"/src/linux-source-6.12-*/; do
    [ -f "$d/.kbridge-unpacked" ] && src=${d%/}
done
if [ -z "$src" ]; then
    t=/usr/src/linux-source-6.12.tar.xz
    [ -f "$t" ] || kb_die "$t missing: run scripts/setup-host.sh"
    mkdir -p "$tmp/src"
    tar -C "$tmp/src" --strip-components=1 -xf "$t" --wildcards \
        '*/tools/net/ynl/*' '*/Documentation/netlink/*'
    src=$tmp/src
fi
gen=$src/tools/net/ynl/ynl-gen-c.py
[ -f "$gen" ] || kb_die "$gen missing"
/usr/bin/python3 -c 'import yaml, jsonschema' 2>/dev/null \
    || kb_die "python3-yaml/python3-jsonschema missing: run scripts/setup-host.sh"

# The generator wants a kernel-like tree: MAINTAINERS at the root, the schema
# two levels above the spec. Mirror our layout so the generated comment names
# docs/netlink/kbridge.yaml.
mkdir -p "$tmp/tree/docs/netlink"
touch "$tmp/tree/MAINTAINERS"
cp "$KB_ROOT/docs/netlink/kbridge.yaml" "$tmp/tree/docs/netlink/"
cp "$src/Documentation/netlink/genetlink.yaml" "$tmp/tree/docs/"
spec=$tmp/tree/docs/netlink/kbridge.yaml
cd "$tmp" || kb_die "cannot enter $tmp"
run() { timeout 60 /usr/bin/python3 "$gen" --spec "$spec" "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; kb_die "ynl-gen-c.py $* failed"; }; }
run --mode uapi --header -o "$tmp/kbridge-nl-uapi.h"
run --mode kernel --header -o "$tmp/kbridge-nl-gen.h"
run --mode kernel --source -o "$tmp/kbridge-nl-gen.c"
mkdir -p "$out/uapi"
cp "$tmp"/kbridge-nl-uapi.h "$out/uapi/"
mkdir -p "$out/glue"
cp "$tmp"/kbridge-nl-gen.h "$tmp"/kbridge-nl-gen.c "$out/glue/"
