#!/usr/bin/env python3
"""scripts/check-stack.sh's reader: check_stack.py LIMIT < llvm-objdump -d output.
Prints every function whose arm64 frame exceeds LIMIT bytes; exits 1 if any."""
import re, sys
limit = int(sys.argv[1])
fn, size = None, {}
for line in sys.stdin:
    m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if m:
        fn = m.group(1)
        continue
    m = re.search(r"\tsub\tsp, sp, #(0x[0-9a-f]+|\d+)(, lsl #12)?", line) \
        or re.search(r"\tstp\t.*\[sp, #-(0x[0-9a-f]+|\d+)\]!()", line)
    if m and fn:
        size[fn] = size.get(fn, 0) + int(m.group(1), 0) * (4096 if m.group(2) else 1)
big = sorted(((n, f) for f, n in size.items() if n > limit), reverse=True)
for n, f in big:
    print(f"stack frame of {n} bytes (limit {limit}): {f}")
top = max(size.items(), key=lambda x: x[1], default=("-", 0))
print(f"{len(size)} functions with a frame; largest {top[1]} bytes ({top[0][:80]})")
sys.exit(1 if big else 0)
