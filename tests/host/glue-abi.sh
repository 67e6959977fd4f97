#!/usr/bin/env bash
# The Rust declarations of the C glue (kmod/sys/ffi.rs, kmod/sys/ffi_*.rs) must match
# its headers (kmod/glue/kbridge_*.h): bindgen regenerates the declarations from the
# headers and every function's signature is compared, both ways.
. "$(dirname "$0")/../../scripts/lib.sh"
bindgen=$(kb_bindgen_path "$KB_BINDGEN_6_12")
[ -x "$bindgen" ] || kb_die "bindgen missing: run scripts/setup-host.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The header only needs the basic types from <linux/types.h>.
mkdir -p "$tmp/inc/linux"
printf "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\ntypedef uint64_t u64;\ntypedef long ssize_t;\ntypedef long long loff_t;\ntypedef unsigned int __poll_t;\ntypedef unsigned short umode_t;\n#define __user\n" > "$tmp/inc/linux/types.h"
for h in "$KB_ROOT"/kmod/glue/kbridge_*.h; do echo "#include \"$h\""; done > "$tmp/all.h"
"$bindgen" "$tmp/all.h" --allowlist-function 'kbridge_.*' --use-core \
    --ctypes-prefix core::ffi --no-layout-tests --opaque-type '.*' -o "$tmp/gen.rs" \
    -- -I"$tmp/inc" -I"$KB_ROOT/kmod" -I"$KB_ROOT/kmod/glue" >/dev/null 2>&1 || kb_die "bindgen failed on kmod/glue/kbridge_*.h"
# shellcheck disable=SC2046 # kmod's paths have no spaces
python3 "$KB_ROOT/tests/host/glue_abi.py" "$tmp/gen.rs" $(find "$KB_ROOT/kmod" -name '*.rs' | sort)
