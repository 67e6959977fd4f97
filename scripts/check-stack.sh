#!/usr/bin/env bash
# Fail when any function of a module has a stack frame above a limit: the
# kernel's -Wframe-larger-than covers C only, not Rust. Reads the frame sizes
# off the arm64 code: `sub sp, sp, #N` (with `lsl #12` for the 4 KiB part) and
# the pre-indexed `stp ..., [sp, #-N]!` that opens a frame.
#   scripts/check-stack.sh <module.ko> [limit-bytes]   (default 2048)
. "$(dirname "$0")/lib.sh"
ko=${1:?usage: check-stack.sh <module.ko> [limit]}; limit=${2:-2048}
"$KB_LLVM_BIN/llvm-objdump" -d --no-show-raw-insn "$ko" | python3 "$KB_ROOT/scripts/check_stack.py" "$limit"
