#!/usr/bin/env bash
# The Yocto checks that need no upstream layer checkouts (CI runs them; `make
# test` calls this script). One line per check: PASS <name> / FAIL <name>:
# reason / SKIP <name>: reason; exits 1 if any check failed.
#
#   oelint        oelint-adv over meta-kbridge: no errors, no warnings
#                 (meta-kbridge/.oelint.cfg holds the justified suppressions)
#   kas-schema    every kas entry point loads with kas's own include handler
#                 and schema; distro poky; every fetched repo has a branch and
#                 a pinned commit in kas.lock.yml
#   crates-inc    kbridge-crates.inc and kbridge-licenses.inc (the crates'
#                 licences, from cargo metadata) are what userspace/Cargo.lock generates
#   kernel-fragment  the fragments the kernel appends use exist and carry
#                 what the layer relies on; the QEMU board's hardware is on
#   one-copy      conf/kernel/kbridge.cfg and conf/dts/ are relative links to
#                 the layer's files, and no FILESEXTRAPATHS leaves the layer
#   dt-overlays   conf/dts/rpi overlay compiles and applies to a base tree
#                 with the labels it uses (needs dtc and fdtoverlay)
#   oeqa          the runtime test module compiles
#
# Python tools (kas, oelint-adv, pinned in conf/kas/requirements-yocto.txt)
# live in a venv under ${KBRIDGE_CACHE:-$HOME/.cache/kbridge}/venv-yocto,
# created on first use and reused while the requirements file is unchanged.
# Needs python3 with venv (Debian: python3-venv).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KBRIDGE_CACHE:-$HOME/.cache/kbridge}
venv=$cache/venv-yocto
reqs=$root/conf/kas/requirements-yocto.txt
layer=$root/meta-kbridge
failed=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
skip() { echo "SKIP $1: $2"; }

# --- venv ---------------------------------------------------------------------
venv_ready() {
    local want have
    want=$(sha256sum "$reqs" | cut -d' ' -f1)
    have=$(cat "$venv/.requirements.sha256" 2>/dev/null || true)
    [ "$want" = "$have" ] && [ -x "$venv/bin/oelint-adv" ] && [ -x "$venv/bin/kas" ] && return 0
    rm -rf "$venv"
    python3 -m venv "$venv" >"$cache/venv-yocto.log" 2>&1 \
        || { echo "python3 -m venv failed (Debian: apt-get install python3-venv); see $cache/venv-yocto.log"; return 1; }
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$reqs" >>"$cache/venv-yocto.log" 2>&1 \
        || { echo "pip install -r $reqs failed; see $cache/venv-yocto.log"; return 1; }
    echo "$want" >"$venv/.requirements.sha256"
}
mkdir -p "$cache"
if ! why=$(venv_ready); then
    fail venv "$why"
    exit 1
fi
py=$venv/bin/python

# --- oelint -------------------------------------------------------------------
check_oelint() {
    local out findings
    mapfile -t files < <(cd "$layer" && find . -name '*.bb' -o -name '*.bbappend' -o -name '*.bbclass' | sort)
    out=$(cd "$layer" && OELINT_CONFIG="$layer/.oelint.cfg" "$venv/bin/oelint-adv" --relpaths --quiet \
          --hide info --cachedir "$cache/oelint-cache" "${files[@]}" 2>&1)
    # *-crates.inc is generated in the exact format of oe-core's update_crates
    # task (SRC_URI += " \), which this style rule dislikes: not ours to change.
    findings=$(printf '%s\n' "$out" | grep -E ':(warning|error):' \
               | grep -vE -- '-crates\.inc:[0-9]+:error:oelint\.vars\.inconspaces:' || true)
    if [ -n "$findings" ]; then
        fail oelint "$(printf '%s\n' "$findings" | wc -l) finding(s):"
        printf '%s\n' "$findings" | sed 's/^/    /'
    else
        pass oelint
    fi
}

# --- kas ------------------------------------------------------------------------
check_kas() {
    local out
    if out=$(cd "$root" && "$py" - 2>&1 <<'EOF'
import logging, os, re, sys, tempfile
logging.disable(logging.WARNING)
from kas.context import create_global_context
from kas.includehandler import IncludeHandler
from kas import kasusererror
# kas's include handler asks git for the repository root through the kas
# context; a throw-away work dir keeps kas from touching anything.
os.environ['KAS_WORK_DIR'] = tempfile.mkdtemp(prefix='kbridge-kas-')
create_global_context(__import__('argparse').Namespace(no_color=True, update=False, force_checkout=False))

ENTRY_POINTS = {
    # entry point(s) -> machine
    ('kas.yml',): 'qemuarm64',
    ('conf/kas/raspberrypi4-64.yml',): 'raspberrypi4-64',
    ('conf/kas/raspberrypi5.yml',): 'raspberrypi5',
    ('kas.yml', 'conf/kas/release.yml'): 'qemuarm64',
    ('kas.yml', 'conf/kas/mqtt.yml'): 'qemuarm64',
    ('conf/kas/raspberrypi5.yml', 'conf/kas/release.yml'): 'raspberrypi5',
}
errors = []
for files, machine in ENTRY_POINTS.items():
    name = ':'.join(files)
    try:
        config, missing = IncludeHandler([os.path.abspath(f) for f in files]).get_config()
    except (kasusererror.KasUserError, Exception) as e:
        errors.append('%s: %s' % (name, e)); continue
    if missing:
        errors.append('%s: includes from repos %s' % (name, missing))
    if config.get('distro') != 'poky':
        errors.append('%s: distro is %r, not poky' % (name, config.get('distro')))
    if config.get('machine') != machine:
        errors.append('%s: machine is %r, not %s' % (name, config.get('machine'), machine))
    if 'kbridge-image' not in config.get('target', []):
        errors.append('%s: target does not build kbridge-image' % name)
    locks = config.get('overrides', {}).get('repos', {})
    for repo, spec in config.get('repos', {}).items():
        spec = spec or {}
        if not spec.get('url'):
            continue
        if not spec.get('branch'):
            errors.append('%s: repo %s has no branch' % (name, repo))
        commit = spec.get('commit') or locks.get(repo, {}).get('commit')
        if not commit or not re.fullmatch(r'[0-9a-f]{40}', commit):
            errors.append('%s: repo %s is not pinned to a commit (kas.lock.yml)' % (name, repo))
    if 'bitbake' not in config.get('repos', {}):
        errors.append('%s: no repo named bitbake' % name)
print('\n'.join(errors))
sys.exit(1 if errors else 0)
EOF
    ); then
        pass kas-schema
    else
        fail kas-schema "$(printf '%s' "$out" | tr '\n' ';' | sed 's/;/; /g')"
    fi
}

# --- crates.inc ------------------------------------------------------------------
check_crates() {
    local lock=$root/userspace/Cargo.lock inc=$layer/recipes-kbridge/kbridge/kbridge-crates.inc out
    if [ ! -f "$lock" ]; then
        skip crates-inc "userspace/Cargo.lock does not exist yet"; return
    fi
    if out=$("$py" "$layer/scripts/crates-inc.py" --check --recipe kbridge \
             --lock-root "$root/userspace" --licenses "${inc%-crates.inc}-licenses.inc" "$lock" "$inc" 2>&1); then
        pass crates-inc
    else
        fail crates-inc "kbridge-crates.inc or kbridge-licenses.inc differs from userspace/Cargo.lock; regenerate with: \
meta-kbridge/scripts/crates-inc.py --recipe kbridge --lock-root userspace \
--licenses meta-kbridge/recipes-kbridge/kbridge/kbridge-licenses.inc userspace/Cargo.lock \
meta-kbridge/recipes-kbridge/kbridge/kbridge-crates.inc"
        printf '%s\n' "$out" | head -40 | sed 's/^/    /'
    fi
}

# --- kernel fragments ------------------------------------------------------------
check_kernel_fragment() {
    local errs=() f opt cfg inc=$layer/recipes-kernel/linux/linux-kbridge.inc
    local fdir=$layer/recipes-kernel/linux/files
    local frag=$fdir/kbridge.cfg dtso=$layer/recipes-bsp/kbridge-qemu-dtb/files/qemu-board.dtso
    [ -f "$frag" ] || { fail kernel-fragment "meta-kbridge/recipes-kernel/linux/files/kbridge.cfg missing"; return; }
    # Every file:// fragment the append adds resolves to a file.
    for f in $(grep -o 'file://[^ ;\\"]*' "$inc" | sed 's|file://||'); do
        case "$f" in
            *'${KBRIDGE_KERNEL_MODVERSIONS}'*)
                for v in off gendwarfksyms; do
                    [ -f "$fdir/${f//\$\{KBRIDGE_KERNEL_MODVERSIONS\}/$v}" ] || errs+=("$f ($v) missing")
                done ;;
            *) [ -e "$fdir/$f" ] || errs+=("$f missing from the layer") ;;
        esac
    done
    # What meta-kbridge's own decisions rest on (KERNEL_DEBUG for BTF, the
    # Rust feature, module loading, the interfaces the oeqa tests use).
    for opt in CONFIG_MODULES=y CONFIG_RUST=y CONFIG_DEBUG_INFO_BTF=y CONFIG_DEBUG_INFO_BTF_MODULES=y \
               CONFIG_GPIOLIB=y CONFIG_LEDS_CLASS=y CONFIG_PROC_FS=y CONFIG_SYSFS=y CONFIG_NET=y CONFIG_BPF_SYSCALL=y; do
        grep -qx "$opt" "$frag" || errs+=("kbridge.cfg lacks $opt")
    done
    # The emulated board's device tree needs these drivers on qemuarm64.
    cfg=$fdir/kbridge-kmeta/features/kbridge/qemu-board.cfg
    grep -qx 'kconf hardware qemu-board.cfg' "${cfg%.cfg}.scc" 2>/dev/null \
        || errs+=("features/kbridge/qemu-board.scc does not add qemu-board.cfg")
    grep -q '"gpio-simulator"' "$dtso" && ! grep -qx CONFIG_GPIO_SIM=y "$cfg" \
        && errs+=("qemu-board.dtso uses gpio-simulator but features/kbridge/qemu-board.cfg lacks CONFIG_GPIO_SIM=y")
    grep -q '"gpio-leds"' "$dtso" && ! grep -qx CONFIG_LEDS_GPIO=y "$cfg" \
        && errs+=("qemu-board.dtso uses gpio-leds but features/kbridge/qemu-board.cfg lacks CONFIG_LEDS_GPIO=y")
    grep -qx '# CONFIG_MODVERSIONS is not set' "$fdir/kbridge-modversions-off.cfg" \
        || errs+=("kbridge-modversions-off.cfg does not turn MODVERSIONS off")
    grep -qx 'CONFIG_GENDWARFKSYMS=y' "$fdir/kbridge-modversions-gendwarfksyms.cfg" \
        || errs+=("kbridge-modversions-gendwarfksyms.cfg lacks CONFIG_GENDWARFKSYMS=y")
    if [ ${#errs[@]} -eq 0 ]; then pass kernel-fragment
    else fail kernel-fragment "$(IFS=';'; echo "${errs[*]}")"; fi
}

# --- one copy of each file -----------------------------------------------------
# The layer carries the kernel fragment and the device trees (it must work
# without the repository around it); the test loop's conf/ paths are relative
# links to them, so the two can never differ.
check_one_copy() {
    local errs=() link target
    for link in conf/kernel/kbridge.cfg:meta-kbridge/recipes-kernel/linux/files/kbridge.cfg \
                conf/dts/qemu-board.dtso:meta-kbridge/recipes-bsp/kbridge-qemu-dtb/files/qemu-board.dtso \
                conf/dts/rpi/kbridge-overlay.dts:meta-kbridge/dynamic-layers/raspberrypi/recipes-bsp/kbridge-rpi-overlay/files/kbridge-overlay.dts; do
        target=${link#*:}; link=${link%%:*}
        if [ ! -f "$root/$target" ]; then errs+=("$target missing")
        elif [ ! -L "$root/$link" ]; then errs+=("$link is not a link to $target")
        elif [ "$(readlink -f "$root/$link")" != "$(readlink -f "$root/$target")" ]; then
            errs+=("$link points at $(readlink "$root/$link"), not $target")
        elif [[ $(readlink "$root/$link") = /* ]]; then errs+=("$link is an absolute link")
        fi
    done
    # Nothing of the layer may reach outside it for its files.
    if grep -rnE 'FILESEXTRAPATHS.*(KBRIDGE_REPO_DIR|LAYERDIR}/\.\.|THISDIR}/\.\./\.\./\.\.)' "$layer" --include='*.bb*' --include='*.inc' >/dev/null; then
        errs+=("a FILESEXTRAPATHS of the layer points outside it")
    fi
    if [ ${#errs[@]} -eq 0 ]; then pass one-copy
    else fail one-copy "$(IFS=';'; echo "${errs[*]}")"; fi
}

# --- device-tree overlays ------------------------------------------------------------
check_overlays() {
    if ! command -v dtc >/dev/null || ! command -v fdtoverlay >/dev/null; then
        skip dt-overlays "dtc/fdtoverlay not installed (Debian: device-tree-compiler)"; return
    fi
    local t out
    t=$(mktemp -d); trap 'rm -rf "$t"' RETURN
    # A stand-in base tree with the labels of bcm2711-rpi-4-b.dts and
    # bcm2712-rpi-5-b.dts that the overlay refers to (gpio, led_act).
    cat >"$t/base.dts" <<'EOF'
/dts-v1/;
/ {
	#address-cells = <1>; #size-cells = <1>;
	gpio: gpio { gpio-controller; #gpio-cells = <2>; };
	leds { compatible = "gpio-leds"; led_act: led-act { label = "ACT"; gpios = <&gpio 42 0>; }; };
};
EOF
    if ! out=$( { dtc -q -@ -I dts -O dtb -o "$t/base.dtb" "$t/base.dts" &&
                  dtc -q -@ -I dts -O dtb -o "$t/kbridge.dtbo" "$root/conf/dts/rpi/kbridge-overlay.dts" &&
                  fdtoverlay -i "$t/base.dtb" -o "$t/merged.dtb" "$t/kbridge.dtbo" &&
                  dtc -q -I dtb -O dts "$t/merged.dtb"; } 2>&1); then
        fail dt-overlays "conf/dts/rpi/kbridge-overlay.dts: $(echo "$out" | tail -3 | tr '\n' ' ')"; return
    fi
    if ! grep -q 'compatible = "kbridge,board"' <<<"$out"; then
        fail dt-overlays "the merged tree has no kbridge,board node"; return
    fi
    if [ -f "$root/conf/dts/qemu-board.dtso" ] && \
       ! out=$(dtc -q -@ -I dts -O dtb -o "$t/qemu.dtbo" "$root/conf/dts/qemu-board.dtso" 2>&1); then
        fail dt-overlays "conf/dts/qemu-board.dtso: $(echo "$out" | tail -3 | tr '\n' ' ')"; return
    fi
    pass dt-overlays
}

# --- oeqa -------------------------------------------------------------------------------
check_oeqa() {
    local out
    if out=$("$py" -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' \
             "$layer"/lib/oeqa/runtime/cases/*.py 2>&1); then
        pass oeqa
    else
        fail oeqa "$out"
    fi
}

check_oelint
check_kas
check_crates
check_kernel_fragment
check_one_copy
check_overlays
check_oeqa
exit $failed
