#!/usr/bin/env python3
"""tests/host/glue-abi.sh's comparison: glue_abi.py GEN_RS RUST_FILES... compares the
bindgen output of the glue headers with the Rust declarations and callbacks."""
import re, sys
def norm(s):
    s = re.sub(r'\$crate::(\w+::)*', '', s)          # paths inside macro_rules! bodies
    s = re.sub(r'(::)?core::option::|(::)?core::ffi::|\bffi::|pub\(crate\)|\bpub\b', '', s)
    s = re.sub(r'\b\w+\s*:(?!:)', '', s)          # parameter names
    s = re.sub(r'\bu64_\b', 'u64', s)               # bindgen renames the C typedef u64
    # One spelling per C type (LP64): typedefs and c_* aliases to fixed-width names.
    for c, r in (('c_uint', 'u32'), ('c_int', 'i32'), ('c_longlong', 'i64'), ('c_long', 'i64'),
                 ('c_ulong', 'u64'), ('loff_t', 'i64'), ('__poll_t', 'u32'), ('c_void', 'void')):
        s = re.sub(r'\b' + c + r'\b', r, s)
    s = re.sub(r'\s+', '', s)
    return re.sub(r',(?=[)>]|$)', '', s)                # trailing commas
ARGS = r'\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)'
def callbacks(path):
    """Rust definitions of the functions the glue calls back (kbridge_rust_*)."""
    out = {}
    for m in re.finditer(r'extern\s+"C"\s+fn\s+(kbridge_rust_\w+)\s*' + ARGS + r'\s*(->\s*([^{]+))?\{', open(path).read(), re.S):
        out[m.group(1)] = (norm(m.group(2)), norm(m.group(4) or '()'))
    return out
def sigs(path):
    text = open(path).read()
    out = {}
    for m in re.finditer(r'fn\s+(kbridge_\w+)\s*\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)\s*(->\s*([^;]+))?;', text, re.S):
        out[m.group(1)] = (norm(m.group(2)), norm(m.group(4) or '()'))
    return out
def templates(text):
    """macro_rules! that define a callback named by their first argument
    (`$sym:ident => ...`): macro name -> the signature of that function."""
    out = {}
    for m in re.finditer(r'macro_rules!\s+(\w+)\s*\{(.*?)\n\}', text, re.S):
        t = re.search(r'extern\s+"C"\s+fn\s+\$\w+\s*' + ARGS + r'\s*(->\s*([^{]+))?\{', m.group(2), re.S)
        if t:
            out[m.group(1)] = (norm(t.group(1)), norm(t.group(3) or '()'))
    return out
gen, rs = sigs(sys.argv[1]), {}
macros = {}
for path in sys.argv[2:]:
    macros.update(templates(open(path).read()))
for path in sys.argv[2:]:
    # Callbacks defined by invoking such a macro: `genl::doit!(kbridge_rust_x => f)`.
    for name, sym in re.findall(r'(\w+)!\(\s*(kbridge_rust_\w+)\s*=>', open(path).read()):
        if name in macros:
            rs[sym] = macros[name]
for path in sys.argv[2:]:
    # Declarations live in ffi.rs / ffi_*.rs; callbacks are defined anywhere.
    if re.search(r'/ffi(_\w+)?\.rs$', path):
        rs.update({k: v for k, v in sigs(path).items() if not k.startswith('kbridge_rust_')})
    rs.update(callbacks(path))
bad = 0
for name in sorted(set(gen) | set(rs)):
    if name not in rs:
        print(f"ffi.rs lacks {name}{gen[name]}"); bad = 1
    elif name not in gen:
        print(f"no kmod/glue/kbridge_*.h declares {name} (declared in ffi*.rs)"); bad = 1
    elif gen[name] != rs[name]:
        print(f"{name}: header {gen[name]} != ffi.rs {rs[name]}"); bad = 1
print(f"{len(rs)} glue functions compared ({sum(n.startswith('kbridge_rust_') for n in rs)} Rust callbacks)")
sys.exit(bad)
