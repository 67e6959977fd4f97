#!/usr/bin/env python3
"""kmod's layers (kmod/kbridge_main.rs): each Rust file may use only its own
layer and those below it, and no files import each other in a circle.

    abi < model < sys < board < iface < driver < kbridge_main.rs

A file's imports are the `crate::...` paths in its code (comments and
strings aside) and `super::...` paths, resolved to the file that defines the
module. `$crate::` paths in macro_rules! bodies belong to the invoking file
and are skipped. Prints one line per violation; exits 1 on any.
"""
import os
import re
import sys

ROOT = os.environ.get('KMOD_DIR') or os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'kmod')
ORDER = ['abi', 'model', 'sys', 'board', 'iface', 'driver', 'root']


def layer(rel):
    top = rel.split('/')[0]
    if top.endswith('.rs'):
        return {'board.rs': 'board', 'kbridge_main.rs': 'root'}.get(top, 'root')
    return top


def module_file(parts):
    """The file defining crate module path `parts` (longest existing prefix)."""
    for n in range(len(parts), 0, -1):
        base = os.path.join(*parts[:n])
        for cand in (base + '.rs', os.path.join(base, 'mod.rs')):
            if os.path.isfile(os.path.join(ROOT, cand)):
                return cand
    return None


def code(text):
    text = re.sub(r'//[^\n]*', '', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return re.sub(r'macro_rules!\s*\w+\s*\{.*?\n\}', '', text, flags=re.S)


def imports(rel):
    text = code(open(os.path.join(ROOT, rel)).read())
    here = os.path.dirname(rel).split('/') if os.path.dirname(rel) else []
    if rel.endswith('mod.rs'):
        here = here[:-1] if here else here
    deps = set()
    for m in re.finditer(r'(?<![\w$])(crate|super)((?:::\w+)*)(?:::\{([^}]*)\})?', text):
        head = [m.group(1)] + [x for x in m.group(2).split('::') if x]
        if m.group(3) is not None:
            # `use crate::a::{b, c::d}`: one path per item
            paths = [head + p.strip().split('::') for p in m.group(3).split(',') if p.strip()]
        else:
            paths = [head]
        for p in paths:
            if p[0] == 'crate':
                parts = p[1:]
            else:
                parts = here + p[1:]
            if parts and parts[0] == 'abi':
                deps.add('abi')
                continue
            f = module_file([x for x in parts if x not in ('self',)])
            if f and f != rel:
                deps.add(f)
    return deps


def main():
    files = sorted(os.path.relpath(os.path.join(d, f), ROOT)
                   for d, _, fs in os.walk(ROOT) for f in fs if f.endswith('.rs'))
    graph = {f: imports(f) for f in files}
    bad = 0
    for f, deps in graph.items():
        for d in sorted(deps):
            dl = 'abi' if d == 'abi' else layer(d)
            if ORDER.index(dl) > ORDER.index(layer(f)):
                print(f"kmod/{f} ({layer(f)}) uses kmod/{d} ({dl}), a layer above it")
                bad = 1
    # Circles among files (depth-first search, one report per cycle found).
    state, stack = {}, []

    def visit(f):
        nonlocal bad
        state[f] = 1
        stack.append(f)
        for d in sorted(graph.get(f, ())):
            if d == 'abi':
                continue
            if state.get(d) == 1:
                cyc = stack[stack.index(d):] + [d]
                print("import circle: " + " -> ".join(f"kmod/{x}" for x in cyc))
                bad = 1
            elif d not in state:
                visit(d)
        stack.pop()
        state[f] = 2

    for f in files:
        if f not in state:
            visit(f)
    edges = sum(len(v) for v in graph.values())
    print(f"kmod layers: {len(files)} Rust files, {edges} imports checked")
    return bad


if __name__ == '__main__':
    sys.exit(main())
