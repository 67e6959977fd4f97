#!/usr/bin/env bash
# The Rust declarations of the C glue (kmod/ffi.rs) must match its header
# (kmod/kbridge_glue.h): bindgen regenerates the declarations from the header
# and every function's signature is compared, both ways.
. "$(dirname "$0")/../../scripts/lib.sh"
bindgen=$(kb_bindgen_path "$KB_BINDGEN_6_12")
[ -x "$bindgen" ] || kb_die "bindgen missing: run scripts/setup-host.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The header only needs the basic types from <linux/types.h>.
mkdir -p "$tmp/inc/linux"
printf "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\ntypedef uint64_t u64;\ntypedef long ssize_t;\ntypedef long long loff_t;\ntypedef unsigned int __poll_t;\n#define __user\n" > "$tmp/inc/linux/types.h"
"$bindgen" "$KB_ROOT/kmod/kbridge_glue.h" --allowlist-function 'kbridge_.*' --use-core \
    --ctypes-prefix core::ffi --no-layout-tests --opaque-type '.*' -o "$tmp/gen.rs" \
    -- -I"$tmp/inc" >/dev/null 2>&1 || kb_die "bindgen failed on kmod/kbridge_glue.h"
python3 - "$tmp/gen.rs" "$KB_ROOT/kmod/ffi.rs" <<'PY'
import re, sys
def norm(s):
    s = re.sub(r'(::)?core::option::|(::)?core::ffi::|pub\(crate\)|\bpub\b', '', s)
    s = re.sub(r'\b\w+\s*:(?!:)', '', s)          # parameter names
    s = re.sub(r'\bu64_\b', 'u64', s)               # bindgen renames the C typedef u64
    s = re.sub(r'\s+', '', s)
    return re.sub(r',(?=[)>]|$)', '', s)                # trailing commas
def sigs(path):
    text = open(path).read()
    out = {}
    for m in re.finditer(r'fn\s+(kbridge_\w+)\s*\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)\s*(->\s*([^;]+))?;', text, re.S):
        out[m.group(1)] = (norm(m.group(2)), norm(m.group(4) or '()'))
    return out
gen, rs = sigs(sys.argv[1]), sigs(sys.argv[2])
bad = 0
# Functions the header declares for the glue to call back into Rust are
# implemented in Rust (#[no_mangle]), not declared in ffi.rs.
callbacks = {'kbridge_rust_probe', 'kbridge_rust_remove'}
for name in sorted(set(gen) | set(rs)):
    if name in callbacks or name.startswith('kbridge_rust_'):
        continue
    if name not in rs:
        print(f"ffi.rs lacks {name}{gen[name]}"); bad = 1
    elif name not in gen:
        print(f"kbridge_glue.h lacks {name} (declared in ffi.rs)"); bad = 1
    elif gen[name] != rs[name]:
        print(f"{name}: header {gen[name]} != ffi.rs {rs[name]}"); bad = 1
print(f"{len(rs)} glue functions compared")
sys.exit(bad)
PY
