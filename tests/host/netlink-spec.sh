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
    /usr/bin/python3 - "$schema" "$KB_ROOT/docs/netlink/kbridge.yaml" <<'PY' || bad=1
import sys, yaml, jsonschema
schema, spec = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
jsonschema.validate(spec, schema)
print(f"spec valid against {sys.argv[1]}")
PY
done

/usr/bin/python3 - "$tmp/gen/uapi/kbridge-nl-uapi.h" "$KB_ROOT" <<'PY' || bad=1
import re, sys
hdr, root = open(sys.argv[1]).read(), sys.argv[2]

# C enums of the generated uAPI header, values assigned as C does.
consts = {}
for body in re.findall(r'enum(?:\s+\w+)?\s*\{(.*?)\};', hdr, re.S):
    nxt = 0
    for item in body.split(','):
        m = re.match(r'\s*(\w+)(?:\s*=\s*(\w+))?', item)
        if not m or re.search(r'^__|_MAX$', m.group(1)):
            continue
        nxt = int(m.group(2), 0) if m.group(2) else nxt
        consts[m.group(1)] = nxt
        nxt += 1
defines = {k: int(v) for k, v in re.findall(r'#define\s+(KBRIDGE_\w+)\s+(\d+)\b', hdr)}

# Rust: `mod X { ... const NAME: T = N; }` -> KBRIDGE_CMD_NAME / KBRIDGE_A_X_NAME.
def rust(path):
    out = {}
    text = open(path).read()
    for mod, body in re.findall(r'\bmod\s+(cmd|board|line|change|event)\s*\{(.*?)\n\s*\}', text, re.S):
        for name, val in re.findall(r'const\s+(\w+)\s*:\s*\w+\s*=\s*(\d+)\s*;', body):
            key = f"KBRIDGE_CMD_{name}" if mod == 'cmd' else f"KBRIDGE_A_{mod.upper()}_{name}"
            out[key] = int(val)
    return out

bad = 0
wanted = {k: v for k, v in consts.items() if k.startswith(('KBRIDGE_CMD_', 'KBRIDGE_A_'))}
for path in ('userspace/crates/kbridge-abi/src/abi.rs',):
    got = rust(f"{root}/{path}")
    for k in sorted(set(wanted) | set(got)):
        if k not in got:
            print(f"{path}: lacks {k} = {wanted[k]}"); bad = 1
        elif k not in wanted:
            print(f"{path}: {k} is not in the spec"); bad = 1
        elif got[k] != wanted[k]:
            print(f"{path}: {k} = {got[k]}, spec says {wanted[k]}"); bad = 1
    print(f"{path}: {len(got)} numbers compared")

abi = {}
for k, v in re.findall(r'pub const (\w+)\s*:\s*\w+\s*=\s*(\d+|1 << \d+)\s*;',
                      open(f"{root}/userspace/crates/kbridge-abi/src/abi.rs").read()):
    abi[k] = 1 << int(v.split('<<')[1]) if '<<' in v else int(v)
pairs = {f"KBRIDGE_LINE_KIND_{n}": f"KIND_{n}" for n in ('OUTPUT', 'INPUT', 'LED')}
pairs.update({f"KBRIDGE_SOURCE_{n}": f"SOURCE_{n}" for n in
              ('INIT', 'HARDWARE', 'SYSFS', 'CHARDEV', 'IOCTL', 'NETLINK', 'KERNEL')})
pairs['KBRIDGE_LINE_FLAGS_ACTIVE_LOW'] = 'LINE_FLAG_ACTIVE_LOW'
for spec_name, abi_name in pairs.items():
    if consts.get(spec_name) != abi.get(abi_name):
        print(f"{spec_name} = {consts.get(spec_name)} but abi.rs {abi_name} = {abi.get(abi_name)}"); bad = 1
abi_lim = {'KBRIDGE_MAX_LINES': 64, 'KBRIDGE_NAME_MAX_LEN': 31}
text = open(f"{root}/userspace/crates/kbridge-abi/src/abi.rs").read()
if not re.search(r'pub const MAX_LINES: usize = 64;', text) or \
   not re.search(r'pub const NAME_LEN: usize = 32;', text) or \
   not re.search(r'pub const NAME_MAX_LEN: usize = NAME_LEN - 1;', text):
    print("abi.rs limits changed: update the spec's max-lines/name-max-len"); bad = 1
for k, v in abi_lim.items():
    if defines.get(k) != v:
        print(f"spec {k} = {defines.get(k)}, abi.rs says {v}"); bad = 1
print(f"{len(pairs) + len(abi_lim)} spec enums/limits compared with abi.rs")
sys.exit(bad)
PY
exit $bad
