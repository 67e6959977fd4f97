#!/usr/bin/env bash
# Parse meta-kbridge with the real bitbake, on the configuration kas.yml
# describes, for qemuarm64 (kas.yml) and raspberrypi5 (conf/kas/raspberrypi5.yml):
# `bitbake -p`, then `bitbake -g kbridge-image`. Needs checkouts of the
# upstream layers (kas.lock.yml has the commits), which CI cannot fetch:
#
#   scripts/yocto-parse.sh --bitbake DIR --oe-core DIR --meta-yocto DIR \
#       --meta-openembedded DIR --meta-raspberrypi DIR
#   (or KBRIDGE_BITBAKE_DIR, KBRIDGE_OE_CORE_DIR, KBRIDGE_META_YOCTO_DIR,
#    KBRIDGE_META_OPENEMBEDDED_DIR, KBRIDGE_META_RASPBERRYPI_DIR)
#
# Without them it prints "SKIP yocto-parse: ..." and exits 0. Otherwise one
# PASS/FAIL line per machine and step; FAIL on any ERROR, and on any WARNING
# that names meta-kbridge or a kbridge recipe (other layers' warnings are
# counted and shown, not failed). Logs: $KBRIDGE_CACHE/yocto-parse/<machine>/.
#
# local.conf and bblayers.conf are written from the kas files by kas's own
# include handler (venv of scripts/check-layer.sh), as `kas` would write
# them, with the repositories mapped to the given checkouts: nothing is
# cloned or fetched (BB_NO_NETWORK). Host sanity checks (sanity.bbclass, which
# also refuses to run as root) are switched off with an empty conf/sanity.conf,
# the documented opt-out: this checks the layer, not the host. bitbake's
# HOSTTOOLS must exist (Debian: chrpath diffstat gawk on top of a build host)
# and the en_US.UTF-8 locale (Debian: locales, with it enabled and generated).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KBRIDGE_CACHE:-$HOME/.cache/kbridge}
bitbake_dir=${KBRIDGE_BITBAKE_DIR:-}
oecore_dir=${KBRIDGE_OE_CORE_DIR:-}
metayocto_dir=${KBRIDGE_META_YOCTO_DIR:-}
rpi_dir=${KBRIDGE_META_RASPBERRYPI_DIR:-}
metaoe_dir=${KBRIDGE_META_OPENEMBEDDED_DIR:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --bitbake) bitbake_dir=$2; shift 2 ;;
        --oe-core) oecore_dir=$2; shift 2 ;;
        --meta-yocto) metayocto_dir=$2; shift 2 ;;
        --meta-raspberrypi) rpi_dir=$2; shift 2 ;;
        --meta-openembedded) metaoe_dir=$2; shift 2 ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) echo "unknown argument $1 (--help)" >&2; exit 2 ;;
    esac
done

missing=()
for pair in "bitbake:$bitbake_dir:bin/bitbake" "oe-core:$oecore_dir:meta/conf/bitbake.conf" \
            "meta-yocto:$metayocto_dir:meta-poky/conf/distro/poky.conf" \
            "meta-openembedded:$metaoe_dir:meta-oe/conf/layer.conf" \
            "meta-raspberrypi:$rpi_dir:conf/machine/raspberrypi5.conf"; do
    IFS=: read -r name dir probe <<<"$pair"
    [ -n "$dir" ] && [ -f "$dir/$probe" ] || missing+=("--$name")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "SKIP yocto-parse: no checkout given for ${missing[*]} (see scripts/yocto-parse.sh --help)"
    exit 0
fi
py=$cache/venv-yocto/bin/python
if [ ! -x "$py" ]; then
    "$root/scripts/check-layer.sh" >/dev/null 2>&1
    [ -x "$py" ] || { echo "FAIL yocto-parse: no kas venv (run scripts/check-layer.sh)"; exit 1; }
fi
tools=$(for t in chrpath diffstat gawk; do command -v $t >/dev/null || printf '%s ' $t; done)
if [ -n "$tools" ]; then
    echo "FAIL yocto-parse: bitbake's HOSTTOOLS missing: $tools(Debian: apt-get install $tools)"
    exit 1
fi

if ! locale -a 2>/dev/null | grep -qix 'en_US.utf-\?8'; then
    echo "FAIL yocto-parse: bitbake needs the en_US.UTF-8 locale (Debian: apt-get install locales;" \
         "enable en_US.UTF-8 in /etc/locale.gen; locale-gen)"
    exit 1
fi

failed=0
# write_conf BUILDDIR KASFILE...: conf/{bblayers,local,site,sanity}.conf
write_conf() {
    local builddir=$1; shift
    mkdir -p "$builddir/conf"
    KB_ROOT=$root KB_BITBAKE=$bitbake_dir KB_OECORE=$oecore_dir KB_METAYOCTO=$metayocto_dir \
    KB_RPI=$rpi_dir KB_METAOE=$metaoe_dir KB_BUILDDIR=$builddir "$py" - "$@" <<'EOF'
import argparse, logging, os, sys, tempfile
logging.disable(logging.WARNING)
from kas.context import create_global_context
from kas.includehandler import IncludeHandler
os.environ['KAS_WORK_DIR'] = tempfile.mkdtemp(prefix='kbridge-kas-')
create_global_context(argparse.Namespace(no_color=True, update=False, force_checkout=False))
env = os.environ
root, builddir = env['KB_ROOT'], env['KB_BUILDDIR']
paths = {'kbridge': root, 'bitbake': env['KB_BITBAKE'], 'openembedded-core': env['KB_OECORE'],
         'meta-yocto': env['KB_METAYOCTO'], 'meta-openembedded': env['KB_METAOE'],
         'meta-raspberrypi': env['KB_RPI']}
config, _ = IncludeHandler([os.path.join(root, f) for f in sys.argv[1:]]).get_config()
layers = []
for name, spec in config['repos'].items():
    spec = spec or {}
    base = paths[name]
    for layer, state in (spec.get('layers') or {'.': None}).items():
        if state != 'disabled':
            layers.append(os.path.normpath(os.path.join(base, layer)))
def header(key):  # as kas's Config._get_conf_header()
    return ''.join('# %s\n%s\n' % (k, v) for k, v in sorted(config.get(key, {}).items()))
with open(os.path.join(builddir, 'conf/bblayers.conf'), 'w') as f:
    f.write(header('bblayers_conf_header'))
    f.write('BBLAYERS ?= " \\\n    ' + ' \\\n    '.join(sorted(layers)) + '"\n')
    f.write('BBPATH ?= "${TOPDIR}"\nBBFILES ??= ""\n')
with open(os.path.join(builddir, 'conf/local.conf'), 'w') as f:
    f.write(header('local_conf_header'))
    f.write('MACHINE ??= "%s"\nDISTRO ??= "%s"\nBBMULTICONFIG ?= ""\n' % (config['machine'], config['distro']))
EOF
    cat >"$builddir/conf/site.conf" <<'EOF'
# yocto-parse.sh: parse only, never reach out.
BB_NO_NETWORK = "1"
EOF
    : >"$builddir/conf/sanity.conf"
}

# bb BUILDDIR LOG ARGS...: bitbake in BUILDDIR with only what it needs from the environment.
bb() {
    local builddir=$1 log=$2; shift 2
    ( cd "$builddir" && env -i HOME="$builddir" LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 \
        PATH="$bitbake_dir/bin:$oecore_dir/scripts:/usr/local/bin:/usr/bin:/bin" \
        BUILDDIR="$builddir" "$bitbake_dir/bin/bitbake" "$@" ) >"$log" 2>&1
}

# verdict NAME RC LOG
verdict() {
    local name=$1 rc=$2 log=$3 ours others
    ours=$(grep -E '^(WARNING|ERROR):' "$log" | grep -iE 'meta-kbridge|kbridge' || true)
    others=$(grep -E '^WARNING:' "$log" | grep -viE 'meta-kbridge|kbridge' || true)
    if [ "$rc" -ne 0 ] || grep -q '^ERROR:' "$log" || [ -n "$ours" ]; then
        echo "FAIL $name: exit $rc, log $log"
        { grep -E '^(ERROR|WARNING):' "$log" || tail -20 "$log"; } | head -30 | sed 's/^/    /'
        failed=1
        return
    fi
    echo "PASS $name ($(grep -m1 -oE 'Parsing of [0-9]+ \.bb files complete[^.]*' "$log" || echo ok))"
    [ -z "$others" ] || printf '%s\n' "$others" | sort -u | sed 's/^/    (not ours) /'
}

for spec in "qemuarm64:kas.yml" "raspberrypi5:conf/kas/raspberrypi5.yml"; do
    machine=${spec%%:*}; kasfiles=${spec#*:}
    builddir=$cache/yocto-parse/$machine
    IFS=: read -ra files <<<"$kasfiles"
    if ! out=$(write_conf "$builddir" "${files[@]}" 2>&1); then
        echo "FAIL yocto-parse-$machine: writing conf from $kasfiles: $out"; failed=1; continue
    fi
    start=$(date +%s)
    bb "$builddir" "$builddir/parse.log" -p; rc=$?
    verdict "yocto-parse-$machine [bitbake -p, $(( $(date +%s) - start )) s]" $rc "$builddir/parse.log"
    start=$(date +%s)
    bb "$builddir" "$builddir/graph.log" -g kbridge-image; rc=$?
    verdict "yocto-graph-$machine [bitbake -g kbridge-image, $(( $(date +%s) - start )) s]" $rc "$builddir/graph.log"
    # The image must pull in every kbridge recipe its machine has.
    want="kbridge kbridge-image kbridge-module"
    case $machine in qemuarm64) want="$want kbridge-qemu-dtb linux-yocto" ;;
                     raspberrypi*) want="$want kbridge-rpi-overlay linux-raspberrypi" ;; esac
    got=$(grep -xE 'kbridge.*|linux-(yocto|raspberrypi)' "$builddir/pn-buildlist" 2>/dev/null | sort | tr '\n' ' ')
    lacking=$(for r in $want; do grep -qx "$r" "$builddir/pn-buildlist" 2>/dev/null || printf '%s ' "$r"; done)
    if [ -n "$lacking" ]; then
        echo "FAIL yocto-graph-$machine-recipes: kbridge-image does not pull in: $lacking(graph has: $got)"; failed=1
    else
        echo "PASS yocto-graph-$machine-recipes ($got)"
    fi
done
exit $failed
