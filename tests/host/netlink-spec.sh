#!/usr/bin/env bash
# The generic netlink spec (docs/netlink/kbridge.yaml) and the code agree:
#  1. the spec validates against the kernel's genetlink schema (6.12's, and the
#     latest tree's too when it is unpacked);
#  2. regenerating the kernel code with the kernel's YNL generator
#     (scripts/nl-gen.sh) gives exactly the committed kmod/glue/kbridge-nl-gen.{c,h}
#     and kmod/uapi/kbridge-nl-uapi.h;
#  3. the Rust numbers (kbridge-abi's abi.rs `nl`, used by the module and the library)
#     match the generated uAPI enums in both directions, and the spec's enums
#     and limits match the shared ABI file (kinds, sources, flags, limits).
. "$(dirname "$0")/../../scripts/lib.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bad=0

"$KB_ROOT/scripts/nl-gen.sh" "$tmp/gen" || kb_die "generation failed"
for f in glue/kbridge-nl-gen.c glue/kbridge-nl-gen.h uapi/kbridge-nl-uapi.h; do
    if ! diff -u "$KB_ROOT/kmod/$f" "$tmp/gen/$f"; then
        echo "kmod/$f differs from the spec: run scripts/nl-gen.sh"; bad=1
    fi
done

for schema in "$KB_CACHE"/src/linux-source-7.*/Documentation/netlink/genetlink.yaml; do
    [ -f "$schema" ] || continue
    /usr/bin/python3 "$KB_ROOT/tests/host/netlink_schema.py" "$schema" "$KB_ROOT/docs/netlink/kbridge.yaml" || bad=1
done

/usr/bin/python3 "$KB_ROOT/tests/host/netlink_numbers.py" "$tmp/gen/uapi/kbridge-nl-uapi.h" "$KB_ROOT" || bad=1
exit $bad
