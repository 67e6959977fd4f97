#!/usr/bin/env python3
"""tests/host/netlink-spec.sh, step 3: netlink_numbers.py UAPI_H ROOT checks the Rust
netlink numbers and the spec's enums against the generated uAPI header and abi.rs."""
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
path = 'userspace/crates/kbridge-abi/src/abi.rs'
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
                      open(f"{root}/{path}").read()):
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
