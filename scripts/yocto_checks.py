#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The task-level checks of scripts/yocto-parse.sh, run in a tinfoil session
in a build directory that script wrote (bitbake's lib on PYTHONPATH):

    yocto_checks.py MACHINE MODE REPO_ROOT LAYER_DIR

One full parse, kbridge-image resolved, then PASS/FAIL lines; exit 1 on a FAIL.
"""
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
