#!/usr/bin/env bash
# The offline Yocto layer check: meta-kbridge with the real bitbake, on the
# configuration kas writes from kas.yml (qemuarm64) and conf/kas/raspberrypi*.yml
# (raspberrypi4-64, raspberrypi5), in two modes:
#   repo   the layer inside this repository, sources from the checkout
#          (KBRIDGE_SRC_DIR, externalsrc), exactly as kas.yml builds;
#   alone  a copy of meta-kbridge/ by itself, sources from git
#          (KBRIDGE_GIT_URI/KBRIDGE_SRCREV: this repository's HEAD through a
#          file:// URI), as a project that adds only the layer builds.
# For each machine and mode, one tinfoil session parses every recipe and
# resolves kbridge-image (`bitbake -p` + `bitbake -g`), then asserts task by
# task what a build would otherwise only find out late (PASS/FAIL per check,
# scripts/yocto_checks.py): where kbridge-module's make runs
# and that its Makefile is there when it does (the git tree is fetched and
# unpacked for real, the externalsrc copy made for real), that the Rust and
# C prefix maps cover every directory the module is compiled from, that the
# BPF object built by the agent recipe's own clang command has no build path
# in it, that the emulated board's kernel feature comes after every other
# one that sets GPIO_SIM, that every runqemu command and image name in the
# docs fits the image types, and that every file the layer's recipes take
# comes from inside the layer. Needs checkouts of the upstream layers
# (kas.lock.yml has the commits), which CI cannot fetch:
#
#   scripts/yocto-parse.sh --bitbake DIR --oe-core DIR --meta-yocto DIR \
#       --meta-openembedded DIR --meta-raspberrypi DIR [--machines "M..."] [--modes "repo alone"]
#   (or KBRIDGE_BITBAKE_DIR, KBRIDGE_OE_CORE_DIR, KBRIDGE_META_YOCTO_DIR,
#    KBRIDGE_META_OPENEMBEDDED_DIR, KBRIDGE_META_RASPBERRYPI_DIR)
#   --kernel-cache DIR (KBRIDGE_KERNEL_CACHE_DIR): a yocto-kernel-cache git
#     directory; the kernels' SRCREV_meta must have kernel-rust.scc in it
#     (SKIP, saying why, without it or when the revision is not in it).
#   KBRIDGE_FETCH_CRATES=N|all: opt-in, downloads: N of the agent's crates
#     (or all) through bitbake's crate:// fetcher from crates.io, sha256
#     checked and unpacked, once (repo-qemuarm64), with bitbake's fetcher API;
#     then `bitbake kbridge -c unpack` for real in a build directory of its own
#     (network on, uninative off: its loader comes from yoctoproject.org; about
#     6 minutes for the parse). SKIP otherwise.
#   Last line: "yocto-parse: P PASS, F FAIL, S SKIP".
#
# Without them it prints "SKIP yocto-parse: ..." and exits 0. FAIL on any
# ERROR, and on any WARNING that names meta-kbridge or a kbridge recipe
# (other layers' warnings are counted and shown, not failed). Logs:
# $KBRIDGE_CACHE/yocto-parse/<mode>-<machine>/. About 5 minutes per machine
# and mode on 2 cores (the full parse).
#
# local.conf and bblayers.conf are written from the kas files by kas's own
# include handler (venv of scripts/check-layer.sh), as `kas` would write
# them, with the repositories mapped to the given checkouts: nothing is
# cloned or fetched from the network (BB_NO_NETWORK). Host sanity checks (sanity.bbclass, which
# also refuses to run as root) are switched off with an empty conf/sanity.conf,
# the documented opt-out: this checks the layer, not the host. bitbake's
# HOSTTOOLS must exist (Debian: chrpath diffstat gawk on top of a build host),
# the en_US.UTF-8 locale (Debian: locales, with it enabled and generated) and
# clang (Debian: clang-19) for the BPF check.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KBRIDGE_CACHE:-$HOME/.cache/kbridge}
bitbake_dir=${KBRIDGE_BITBAKE_DIR:-}
oecore_dir=${KBRIDGE_OE_CORE_DIR:-}
metayocto_dir=${KBRIDGE_META_YOCTO_DIR:-}
rpi_dir=${KBRIDGE_META_RASPBERRYPI_DIR:-}
kcache_dir=${KBRIDGE_KERNEL_CACHE_DIR:-}
metaoe_dir=${KBRIDGE_META_OPENEMBEDDED_DIR:-}
machines="qemuarm64 raspberrypi4-64 raspberrypi5"
modes="repo alone"
while [ $# -gt 0 ]; do
    case "$1" in
        --bitbake) bitbake_dir=$2; shift 2 ;;
        --oe-core) oecore_dir=$2; shift 2 ;;
        --meta-yocto) metayocto_dir=$2; shift 2 ;;
        --meta-raspberrypi) rpi_dir=$2; shift 2 ;;
        --meta-openembedded) metaoe_dir=$2; shift 2 ;;
        --kernel-cache) kcache_dir=$2; shift 2 ;;
        --machines) machines=$2; shift 2 ;;
        --modes) modes=$2; shift 2 ;;
        -h|--help) sed -n '2,53p' "$0"; exit 0 ;;
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
clang=$(command -v clang || command -v clang-19 || true)
tools=$(for t in chrpath diffstat gawk git; do command -v $t >/dev/null || printf '%s ' $t; done)
if [ -n "$tools" ]; then
    echo "FAIL yocto-parse: bitbake's HOSTTOOLS missing: $tools(Debian: apt-get install $tools)"
    exit 1
fi

[ -n "$clang" ] || { echo "FAIL yocto-parse: no clang for the BPF check (Debian: apt-get install clang-19)"; exit 1; }

if ! locale -a 2>/dev/null | grep -qix 'en_US.utf-\?8'; then
    echo "FAIL yocto-parse: bitbake needs the en_US.UTF-8 locale (Debian: apt-get install locales;" \
         "enable en_US.UTF-8 in /etc/locale.gen; locale-gen)"
    exit 1
fi

failed=0
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
# write_conf BUILDDIR KBRIDGE_DIR KASFILE...: conf/{bblayers,local,site,sanity}.conf,
# with the kbridge repository of the kas files at KBRIDGE_DIR.
write_conf() {
    local builddir=$1 kbridge=$2; shift 2
    mkdir -p "$builddir/conf"
    KB_ROOT=$root KB_KBRIDGE=$kbridge KB_BITBAKE=$bitbake_dir KB_OECORE=$oecore_dir KB_METAYOCTO=$metayocto_dir \
    KB_RPI=$rpi_dir KB_METAOE=$metaoe_dir KB_BUILDDIR=$builddir "$py" - "$@" <<'EOF'
import argparse, logging, os, sys, tempfile
logging.disable(logging.WARNING)
from kas.context import create_global_context
from kas.includehandler import IncludeHandler
os.environ['KAS_WORK_DIR'] = tempfile.mkdtemp(prefix='kbridge-kas-')
create_global_context(argparse.Namespace(no_color=True, update=False, force_checkout=False))
env = os.environ
root, builddir = env['KB_ROOT'], env['KB_BUILDDIR']
paths = {'kbridge': env['KB_KBRIDGE'], 'bitbake': env['KB_BITBAKE'], 'openembedded-core': env['KB_OECORE'],
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


# check_config NAME BUILDDIR LAYER: the tinfoil session of scripts/yocto_checks.py
# (parse, graph, assertions).
check_config() {
    local name=$1 builddir=$2 log=$2/tinfoil.log rc start
    start=$(date +%s)
    mkdir -p "$builddir/bin"
    ln -sf "$clang" "$builddir/bin/clang"
    ( cd "$builddir" && env -i HOME="$builddir" LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 \
        PATH="$builddir/bin:$bitbake_dir/bin:$oecore_dir/scripts:/usr/local/bin:/usr/bin:/bin" \
        PYTHONPATH="$bitbake_dir/lib" BUILDDIR="$builddir" \
        KBRIDGE_KERNEL_CACHE_DIR="$kcache_dir" KBRIDGE_FETCH_CRATES="${KBRIDGE_FETCH_CRATES:-}" \
        python3 "$root/scripts/yocto_checks.py" "${name#*-}" "${name%%-*}" "$root" "$3" ) >"$log" 2>&1
    rc=$?
    verdict "yocto-parse-$name [parse + graph + checks, $(( $(date +%s) - start )) s]" $rc "$log"
    grep -E '^(PASS|FAIL|SKIP) ' "$log"
    grep -E '^(PASS|FAIL|SKIP) ' "$log" >>"$summary"
    grep -q '^FAIL ' "$log" && failed=1
    return 0
}

# verdict NAME RC LOG
verdict() {
    local name=$1 rc=$2 log=$3 ours others
    ours=$(grep -E '^(WARNING|ERROR):' "$log" | grep -iE 'meta-kbridge|kbridge' || true)
    others=$(grep -E '^WARNING:' "$log" | grep -viE 'meta-kbridge|kbridge' || true)
    if ! grep -q '^NOTE: parse complete' "$log" || grep -q '^ERROR:' "$log" || [ -n "$ours" ]; then
        echo "FAIL $name: exit $rc, log $log"
        echo "FAIL $name" >>"$summary"
        { grep -E '^(ERROR|WARNING):' "$log" || tail -20 "$log"; } | head -30 | sed 's/^/    /'
        failed=1
        return
    fi
    echo "PASS $name" >>"$summary"
    echo "PASS $name ($(grep -m1 -oE 'Parsing of [0-9]+ \.bb files complete[^.]*' "$log" || echo ok))"
    [ -z "$others" ] || printf '%s\n' "$others" | sort -u | sed 's/^/    (not ours) /'
}

# fetch_tasks: with KBRIDGE_FETCH_CRATES, the agent's do_fetch and do_unpack run
# for real by bitbake (repo mode, qemuarm64), in a build directory of their own
# with the network on: every crate from crates.io through the crate:// fetcher,
# its sha256sum checked, unpacked into the recipe's cargo_home/bitbake.
fetch_tasks() {
    local name=yocto-fetch-tasks-repo-qemuarm64 builddir=$cache/yocto-parse/fetch-qemuarm64 log rc want got start out
    if [ -z "${KBRIDGE_FETCH_CRATES:-}" ]; then
        echo "SKIP $name: opt-in (KBRIDGE_FETCH_CRATES=N|all; downloads every crate)" | tee -a "$summary"
        return
    fi
    log=$builddir/bitbake.log
    if ! out=$(write_conf "$builddir" "$root" kas.yml 2>&1); then
        echo "FAIL $name: writing conf from kas.yml: $out" | tee -a "$summary"; failed=1; return
    fi
    cat >"$builddir/conf/site.conf" <<EOF
# yocto-parse.sh, KBRIDGE_FETCH_CRATES: the agent's do_fetch/do_unpack for real,
# from the crates registry only (no mirrors).
BB_NO_NETWORK = "0"
DL_DIR = "$builddir/downloads"
PREMIRRORS = ""
MIRRORS = ""
# uninative's loader comes from downloads.yoctoproject.org at build start; the
# fetch and unpack tasks do not need it.
INHERIT:remove = "uninative"
EOF
    rm -rf "$builddir/downloads" "$builddir"/tmp/work/*/kbridge "$builddir"/tmp/stamps/*/kbridge
    start=$(date +%s)
    mkdir -p "$builddir/bin"
    ln -sf "$clang" "$builddir/bin/clang"
    ( cd "$builddir" && env -i HOME="$builddir" LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 \
        PATH="$builddir/bin:$bitbake_dir/bin:$oecore_dir/scripts:/usr/local/bin:/usr/bin:/bin" \
        BUILDDIR="$builddir" bitbake kbridge -c unpack ) >"$log" 2>&1
    rc=$?
    want=$(grep -c 'crate://' "$root/meta-kbridge/recipes-kbridge/kbridge/kbridge-crates.inc")
    got=$(find "$builddir"/tmp/work/*/kbridge/*/sources/cargo_home/bitbake -mindepth 2 -maxdepth 2 \
          -name .cargo-checksum.json 2>/dev/null | wc -l)
    if [ $rc -ne 0 ] || grep -q '^ERROR:' "$log" || [ "$got" -ne "$want" ]; then
        echo "FAIL $name: bitbake exit $rc, $got of $want crates unpacked, log $log" | tee -a "$summary"
        { grep -E '^(ERROR|WARNING):' "$log" || tail -20 "$log"; } | head -20 | sed 's/^/    /'
        failed=1
        return
    fi
    echo "PASS $name [bitbake kbridge -c unpack, $(( $(date +%s) - start )) s]: $got of $want crates" \
         "fetched and unpacked ($(grep -m1 -o 'Tasks Summary.*' "$log"))" | tee -a "$summary"
}

# The layer alone: a copy of meta-kbridge/ with nothing around it, building
# this repository's HEAD from git.
alone=$cache/yocto-parse/alone
rm -rf "$alone"; mkdir -p "$alone"
cp -a "$root/meta-kbridge" "$alone/"
head=$(git -C "$root" rev-parse HEAD)
# The git fetcher wants a branch that contains the commit (a detached HEAD
# has none: then any local branch that contains it).
branch=$(git -C "$root" branch --show-current)
[ -n "$branch" ] || branch=$(git -C "$root" for-each-ref --contains HEAD --format='%(refname:short)' refs/heads | head -1)
if [ -z "$branch" ]; then
    echo "FAIL yocto-parse: HEAD ($head) is on no local branch, which the alone mode's git fetch needs"; exit 1
fi

for machine in $machines; do
    case $machine in
        qemuarm64) kasfiles=kas.yml ;;
        raspberrypi4-64|raspberrypi5) kasfiles=conf/kas/$machine.yml ;;
        *) echo "FAIL yocto-parse: unknown machine $machine"; failed=1; continue ;;
    esac
    for mode in $modes; do
        builddir=$cache/yocto-parse/$mode-$machine
        if [ "$mode" = alone ]; then kbdir=$alone; else kbdir=$root; fi
        if ! out=$(write_conf "$builddir" "$kbdir" $kasfiles 2>&1); then
            echo "FAIL yocto-parse-$mode-$machine: writing conf from $kasfiles: $out"; failed=1; continue
        fi
        if [ "$mode" = alone ]; then
            cat >>"$builddir/conf/local.conf" <<EOF
# yocto-parse.sh, the layer alone: no checkout around it (kas.yml's
# KBRIDGE_SRC_DIR undone); the documented git variables instead.
KBRIDGE_SRC_DIR = ""
KBRIDGE_GIT_URI = "git://$root;protocol=file"
KBRIDGE_GIT_BRANCH = "$branch"
KBRIDGE_SRCREV = "$head"
EOF
        fi
        check_config "$mode-$machine" "$builddir" "$kbdir/meta-kbridge"
    done
done
case " $machines " in *" qemuarm64 "*) case " $modes " in *" repo "*) fetch_tasks ;; esac ;; esac
echo "yocto-parse: $(grep -c '^PASS ' "$summary") PASS, $(grep -c '^FAIL ' "$summary") FAIL," \
     "$(grep -c '^SKIP ' "$summary") SKIP"
exit $failed
