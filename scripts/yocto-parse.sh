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
# see KBRIDGE_CHECKS in the Python part): where kbridge-module's make runs
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
        --machines) machines=$2; shift 2 ;;
        --modes) modes=$2; shift 2 ;;
        -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
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

# The assertions, run by check_config in a tinfoil session after the full parse.
read -r -d '' checks <<'EOF'
import logging, os, re, shlex, shutil, subprocess, sys, tempfile
import bb.tinfoil, bb.event, bb.command, bb.fetch2
machine, mode, root, layer = sys.argv[1:5]
tag = '%s-%s' % (mode, machine)
failed = []

def check(name, ok, why=''):
    print('%s yocto-%s-%s%s' % ('PASS' if ok else 'FAIL', name, tag, '' if ok else ': ' + why), flush=True)
    if not ok:
        failed.append(name)

def prefixes(flags, options):
    """The FROM of every OPTION=FROM=TO in FLAGS."""
    out = []
    for tok in shlex.split(flags or ''):
        for o in options:
            if tok.startswith(o + '='):
                out.append(os.path.normpath(tok[len(o) + 1:].rsplit('=', 1)[0]))
    return out

def covered(path, maps):
    path = os.path.normpath(path)
    return any(path == m or path.startswith(m + '/') for m in maps)

def task_dir(d, task):
    dirs = (d.getVarFlag(task, 'dirs') or '').split()
    return os.path.normpath(dirs[-1] if dirs else d.getVar('B'))

def run_prefuncs(d, task):
    """Run the layer's own shell prefuncs of TASK (kbridge_*) as bitbake would."""
    os.makedirs(d.getVar('WORKDIR'), exist_ok=True)
    for f in (d.getVarFlag(task, 'prefuncs') or '').split():
        if f.startswith('kbridge') and d.getVarFlag(f, 'func') and not d.getVarFlag(f, 'python'):
            body = d.getVar(f)
            script = 'set -e\nbbfatal() { echo "$*" >&2; exit 1; }\n' + body
            r = subprocess.run(['sh', '-c', script], capture_output=True, text=True)
            if r.returncode:
                return '%s failed: %s' % (f, (r.stderr or r.stdout).strip()[-300:])
    return ''

def unpack_git(d):
    """do_fetch + do_unpack of the recipe's git sources, for real (file:// is local)."""
    urls = [u for u in d.getVar('SRC_URI').split() if u.startswith('git://')]
    unpackdir = d.getVar('UNPACKDIR')
    shutil.rmtree(unpackdir, ignore_errors=True)
    os.makedirs(unpackdir)
    fetcher = bb.fetch2.Fetch(urls, d)
    fetcher.download()
    fetcher.unpack(unpackdir)

with bb.tinfoil.Tinfoil(tracking=False) as tf:
    tf.prepare(config_only=False)
    print('NOTE: parse complete', flush=True)
    # bitbake -g kbridge-image
    tf.set_event_mask(['bb.event.DepTreeGenerated', 'bb.command.CommandCompleted',
                       'bb.command.CommandFailed', 'bb.command.CommandExit', 'logging.LogRecord'])
    tf.run_command('generateDepTreeEvent', ['kbridge-image'], 'build')
    pns = None
    while True:
        ev = tf.wait_event(1)
        if isinstance(ev, bb.event.DepTreeGenerated):
            pns = set(ev._depgraph['pn'])
        elif isinstance(ev, logging.LogRecord):
            if ev.levelno >= logging.WARNING:
                print('%s: %s' % (ev.levelname, ev.getMessage()), flush=True)
        elif isinstance(ev, (bb.command.CommandCompleted, bb.command.CommandFailed, bb.command.CommandExit)):
            if isinstance(ev, bb.command.CommandFailed):
                print('ERROR: resolving kbridge-image: %s' % ev.error, flush=True)
            break
    want = {'kbridge', 'kbridge-image', 'kbridge-module'} | (
        {'kbridge-qemu-dtb', 'linux-yocto'} if machine.startswith('qemu') else {'kbridge-rpi-overlay', 'linux-raspberrypi'})
    check('graph-recipes', pns is not None and want <= pns,
          'kbridge-image does not pull in %s' % ' '.join(sorted(want - (pns or set()))))
    kernel_pn = 'linux-yocto' if machine.startswith('qemu') else 'linux-raspberrypi'
    mod = tf.parse_recipe('kbridge-module')
    agent = tf.parse_recipe('kbridge')
    kernel = tf.parse_recipe(kernel_pn)
    image = tf.parse_recipe('kbridge-image')
    dtb = tf.parse_recipe('kbridge-qemu-dtb' if machine.startswith('qemu') else 'kbridge-rpi-overlay')

    # Item 1: module.bbclass runs make in do_compile's directory, which must
    # be the kmod/ of the tree in S, with its Makefile there at that time.
    S, cwd = os.path.normpath(mod.getVar('S')), task_dir(mod, 'do_compile')
    check('module-build-in-S', cwd == os.path.join(S, 'kmod'),
          'do_compile runs make in %s, not in S/kmod (S=%s)' % (cwd, S))
    if mode == 'alone':
        unpack_git(mod)
    why = run_prefuncs(mod, 'do_compile') or run_prefuncs(mod, 'do_configure')
    check('module-makefile', not why and os.path.isfile(os.path.join(cwd, 'Makefile'))
          and os.path.isfile(os.path.join(cwd, 'Kbuild')),
          why or 'no Makefile/Kbuild in %s when do_compile runs' % cwd)

    # Item 2: every directory the module's Rust and C are compiled from is
    # remapped (module-rust's KRUSTFLAGS; DEBUG_PREFIX_MAP in KERNEL_CC).
    rust = prefixes(mod.getVar('KRUSTFLAGS'), ['--remap-path-prefix'])
    cc = prefixes(mod.getVar('KERNEL_CC'), ['-ffile-prefix-map', '-fdebug-prefix-map'])
    dirs = [cwd, os.path.normpath(os.path.join(cwd, '../userspace'))]
    bad = ['%s (%s)' % (p, k) for p in dirs for k, m in (('rust', rust), ('C', cc)) if not covered(p, m)]
    check('module-remap', not bad, 'not remapped: ' + ', '.join(bad))
    # The BPF object, compiled the way the agent recipe's build.rs does it
    # (KBRIDGE_BPF_CLANG, cwd = the crate), must not name the build tree.
    aS = os.path.normpath(agent.getVar('S'))
    if mode == 'alone':
        unpack_git(agent)
    why = run_prefuncs(agent, 'do_compile')
    crate = os.path.join(aS, agent.getVar('CARGO_SRC_DIR') or '', 'crates/kbridge')
    if why or not os.path.isfile(os.path.join(crate, 'bpf/kbridge.bpf.c')):
        check('bpf-buildpaths', False, why or 'no bpf/kbridge.bpf.c under %s' % crate)
    else:
        obj = os.path.join(tempfile.mkdtemp(), 'kbridge.bpf.o')
        cmd = shlex.split(agent.getVar('KBRIDGE_BPF_CLANG')) + ['-target', 'bpfel', '-O2', '-g', '-Wall',
                                                               '-Werror', '-c', 'bpf/kbridge.bpf.c', '-o', obj]
        r = subprocess.run(cmd, cwd=crate, capture_output=True, text=True)
        data = open(obj, 'rb').read() if r.returncode == 0 else b''
        leaks = [p for p in (aS, agent.getVar('TMPDIR'), root) if p and p.encode() in data]
        check('bpf-buildpaths', r.returncode == 0 and not leaks,
              r.stderr.strip()[-300:] if r.returncode else 'kbridge.bpf.o contains %s' % ', '.join(leaks))

    # Item 6: the agent's LICENSE names the crates' licences, all known to OE.
    lic = agent.getVar('LICENSE') or ''
    crates = agent.getVar('KBRIDGE_CRATES_LICENSE') or ''
    names = set(re.findall(r'[\w.+-]+', lic))
    dirs = [agent.getVar('COMMON_LICENSE_DIR')] + (agent.getVar('LICENSE_PATH') or '').split()
    unknown = [n for n in names if not any(os.path.isfile(os.path.join(x, n)) for x in dirs)
               and not agent.getVarFlag('SPDXLICENSEMAP', n)]
    missing = set(re.findall(r'[\w.+-]+', crates)) - names
    check('agent-license', bool(crates) and not missing and not unknown,
          'LICENSE %r: no crate licences (KBRIDGE_CRATES_LICENSE)' % lic if not crates else
          'LICENSE lacks %s; unknown to OE: %s' % (' '.join(sorted(missing)), ' '.join(sorted(unknown))))

    # Item 3: kernel-yocto merges the SRC_URI fragments, then KERNEL_FEATURES
    # in order; the board's GPIO_SIM=y must come after every gpio feature.
    if machine.startswith('qemu'):
        order = [os.path.basename(u.split(';')[0]) for u in kernel.getVar('SRC_URI').split()
                 if re.search(r'\.(cfg|scc)(;|$)', u)] + kernel.getVar('KERNEL_FEATURES').split()
        ours = [i for i, e in enumerate(order) if 'kbridge' in e and 'qemu-board' in e]
        gpio = [i for i, e in enumerate(order) if e.startswith('features/gpio/')]
        feat = os.path.join(layer, 'recipes-kernel/linux/files/kbridge-kmeta/features/kbridge/qemu-board.cfg')
        cfg_ok = ours and os.path.isfile(feat) and 'CONFIG_GPIO_SIM=y' in open(feat).read().split()
        check('gpio-sim-last', bool(ours) and all(i < ours[-1] for i in gpio) and bool(cfg_ok),
              'merge order %s' % ' '.join(order))
        print('NOTE: gpio features in KERNEL_FEATURES: %s' % ' '.join(order[i] for i in gpio), flush=True)

    # Items 3 and 7: the kernel stops at do_kernel_configcheck when an option of
    # the kbridge fragments is not in .config (the audit only warns). The guard
    # runs for real on a .config with all of them, then on one that lost
    # CONFIG_RUST (and has GPIO_SIM=m), which it must refuse.
    if 'kbridge_kernel_config_check' not in (kernel.getVarFlag('do_kernel_configcheck', 'postfuncs') or '').split():
        check('kernel-config-guard', False, '%s: no kbridge check after do_kernel_configcheck' % kernel_pn)
    else:
        tmp = tempfile.mkdtemp()
        body = kernel.getVar('kbridge_kernel_config_check')
        body = body.replace(kernel.getVar('UNPACKDIR'), tmp + '/sources').replace(kernel.getVar('B'), tmp + '/build')
        lines = []
        for f in kernel.getVar('KBRIDGE_KERNEL_FRAGMENTS').split():
            src = bb.fetch2.Fetch(['file://' + f], kernel).localpath('file://' + f)
            os.makedirs(os.path.dirname(os.path.join(tmp, 'sources', f)), exist_ok=True)
            shutil.copy(src, os.path.join(tmp, 'sources', f))
            lines += [l.strip() for l in open(src) if l.startswith('CONFIG_')]
        os.makedirs(tmp + '/build')
        def guard(config):
            with open(tmp + '/build/.config', 'w') as f:
                f.write('\n'.join(config) + '\n')
            return subprocess.run(['sh', '-c', 'bbfatal() { echo "$*"; exit 1; }\n' + body],
                                  capture_output=True, text=True)
        good = guard(lines)
        bad = guard([l.replace('GPIO_SIM=y', 'GPIO_SIM=m') for l in lines if l != 'CONFIG_RUST=y'])
        check('kernel-config-guard', good.returncode == 0 and bad.returncode != 0 and 'CONFIG_RUST=y' in bad.stdout
              and (not machine.startswith('qemu') or 'CONFIG_GPIO_SIM=y' in bad.stdout),
              'complete .config: rc %d %s; without CONFIG_RUST: rc %d %s' % (
                  good.returncode, good.stdout.strip()[-200:], bad.returncode, bad.stdout.strip()[-200:]))

    # Item 4: every runqemu command and image file the docs give fits the
    # image types (runqemu refuses .zst without "snapshot").
    types = image.getVar('IMAGE_FSTYPES').split()
    docs = [os.path.join(root, f) for f in ('README.md', 'docs/yocto.md', 'kas.yml')] if mode == 'repo' else []
    docs.append(os.path.join(layer, 'README.md'))
    bad = []
    for doc in docs:
        text = open(doc).read()
        if machine.startswith('qemu'):
            for cmd in re.findall(r'runqemu kbridge-image[^\'"`\n]*', text):
                args = cmd.split()[2:]
                fst = next((a for a in args if re.fullmatch(r'[a-z0-9]+(\.[a-z0-9]+)*', a) and
                            a not in ('nographic', 'slirp', 'snapshot', 'kvm', 'serial', 'serialstdio')),
                           image.getVar('QB_DEFAULT_FSTYPE'))
                if fst not in types or (fst.endswith('.zst') and 'snapshot' not in args):
                    bad.append('%s: `%s` boots %s (IMAGE_FSTYPES %s)' % (os.path.basename(doc), cmd, fst, ' '.join(types)))
        for t in re.findall(r'kbridge-image-%s\.rootfs\.([a-z0-9.]+[a-z0-9])' % re.escape(machine), text):
            if t not in types:
                bad.append('%s: names a .%s image, not built' % (os.path.basename(doc), t))
    check('image-types', not bad, '; '.join(bad))

    # Item 5: every file the layer's recipes and appends take is inside the layer.
    bad = []
    for d in (dtb, kernel, agent, mod):
        for u in d.getVar('SRC_URI').split():
            if not u.startswith('file://'):
                continue
            path = bb.fetch2.Fetch([u], d).localpath(u)
            owned = re.search(r'kbridge|qemu-board', u)
            if owned and not (os.path.exists(path) and os.path.realpath(path).startswith(os.path.realpath(layer) + '/')):
                bad.append('%s: %s -> %s' % (d.getVar('PN'), u.split(';')[0], path))
    check('files-in-layer', not bad, '; '.join(bad))

sys.exit(1 if failed else 0)
EOF

# check_config NAME BUILDDIR: the tinfoil session (parse, graph, assertions).
check_config() {
    local name=$1 builddir=$2 log=$2/tinfoil.log rc start
    start=$(date +%s)
    mkdir -p "$builddir/bin"
    ln -sf "$clang" "$builddir/bin/clang"
    printf '%s\n' "$checks" >"$builddir/kbridge-checks.py"
    ( cd "$builddir" && env -i HOME="$builddir" LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8 \
        PATH="$builddir/bin:$bitbake_dir/bin:$oecore_dir/scripts:/usr/local/bin:/usr/bin:/bin" \
        PYTHONPATH="$bitbake_dir/lib" BUILDDIR="$builddir" \
        python3 "$builddir/kbridge-checks.py" "${name#*-}" "${name%%-*}" "$root" "$3" ) >"$log" 2>&1
    rc=$?
    verdict "yocto-parse-$name [parse + graph + checks, $(( $(date +%s) - start )) s]" $rc "$log"
    grep -E '^(PASS|FAIL) ' "$log"
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
        { grep -E '^(ERROR|WARNING):' "$log" || tail -20 "$log"; } | head -30 | sed 's/^/    /'
        failed=1
        return
    fi
    echo "PASS $name ($(grep -m1 -oE 'Parsing of [0-9]+ \.bb files complete[^.]*' "$log" || echo ok))"
    [ -z "$others" ] || printf '%s\n' "$others" | sort -u | sed 's/^/    (not ours) /'
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
exit $failed
