# Where the kbridge sources come from; shared by the module and agent recipes
# so both always build the same tree. S is the top of the kbridge repository
# in either mode.
#
# 1. A local checkout (developers, and kas.yml in the kbridge repository):
#      KBRIDGE_SRC_DIR = "/path/to/kbridge"
#    The recipes build the working tree as it is, uncommitted changes
#    included, through externalsrc. Set it in local.conf or the distro: it
#    decides which classes the recipes inherit, so it must be known before
#    they are parsed.
# 2. A git repository at a fixed revision (products):
#      KBRIDGE_GIT_URI = "git://git.example.com/kbridge.git;protocol=https"
#      KBRIDGE_GIT_BRANCH = "main"
#      KBRIDGE_SRCREV = "<40-hex commit>"
#    Pin the commit: ${AUTOREV} works but makes builds unreproducible.
#
# With neither set the recipes are skipped with a message that says so.

KBRIDGE_SRC_DIR ??= ""
KBRIDGE_GIT_URI ??= ""
KBRIDGE_GIT_BRANCH ??= "main"
KBRIDGE_SRCREV ??= ""
# Directories of the checkout a recipe builds from, relative to its top:
# in local-checkout mode a change to a file tracked (or not ignored) by git
# under them re-runs do_compile (and, with KBRIDGE_SRC_COPY, are copied).
KBRIDGE_SRC_PATHS ??= "kmod userspace"

# The version of the whole project, as in userspace/Cargo.toml
# ([workspace.package] version); "+git" makes bitbake add the revision.
PV = "0.1.0+git"

KBRIDGE_GIT_SRC_URI = "${@'' if d.getVar('KBRIDGE_SRC_DIR') else '${KBRIDGE_GIT_URI};branch=${KBRIDGE_GIT_BRANCH}'}"
SRC_URI:prepend = "${KBRIDGE_GIT_SRC_URI} "
SRCREV = "${KBRIDGE_SRCREV}"

# A plain inherit, not inherit_defer: externalsrc's anonymous function must
# run before the one below, and KBRIDGE_SRC_DIR is configuration, known here.
# nooelint: oelint.var.inherit.inherit_defer
inherit ${@'externalsrc' if d.getVar('KBRIDGE_SRC_DIR') else ''}
EXTERNALSRC = "${KBRIDGE_SRC_DIR}"
# No oe-workdir/oe-logs symlinks dropped into the developer's checkout.
EXTERNALSRC_SYMLINKS = ""

# Skipping with a reason and replacing a task flag set by externalsrc's own
# anonymous function can only be done here.
# nooelint: oelint.task.noanonpython
python () {
    srcdir = d.getVar('KBRIDGE_SRC_DIR')
    if not srcdir:
        if not (d.getVar('KBRIDGE_GIT_URI') and d.getVar('KBRIDGE_SRCREV')):
            raise bb.parse.SkipRecipe("no kbridge sources configured: set KBRIDGE_SRC_DIR to a "
                                      "kbridge checkout, or KBRIDGE_GIT_URI and KBRIDGE_SRCREV "
                                      "(see meta-kbridge/README.md)")
        return
    if not os.path.isabs(srcdir) or not os.path.isdir(os.path.join(srcdir, 'kmod')):
        raise bb.parse.SkipRecipe("KBRIDGE_SRC_DIR (%s) is not an absolute path to a kbridge "
                                  "checkout (no kmod/ in it)" % srcdir)
    # Replaces the checksum list externalsrc just set (its anonymous function
    # ran first, being inherited above): with the build directory inside the
    # checkout, which is kas's default, externalsrc would hash every file of
    # the checkout, build/tmp included.
    d.setVarFlag('do_compile', 'file-checksums', '${@kbridge_src_checksums(d)}')
    if d.getVar('KBRIDGE_SRC_COPY') == '1':
        # Build a copy of the checkout, not the checkout: S becomes the copy,
        # laid out as the git tree is in the other mode.
        d.setVar('S', '${WORKDIR}/kbridge-tree')
        # externalsrc set B from EXTERNALSRC_BUILD expanded against the S
        # replaced here: set it again, unexpanded.
        if d.getVar('EXTERNALSRC_BUILD', False):
            d.setVar('B', d.getVar('EXTERNALSRC_BUILD', False))
        d.appendVarFlag('do_compile', 'prefuncs', ' kbridge_copy_tree')
}

# KBRIDGE_SRC_COPY = "1": with KBRIDGE_SRC_DIR, S is a copy of
# KBRIDGE_SRC_PATHS of the checkout, refreshed before each do_compile (which
# runs whenever a file of the checkout changes), instead of the checkout.
KBRIDGE_SRC_COPY ??= ""

kbridge_copy_tree() {
    mkdir -p ${S}
    # tar keeps mtimes, so Kbuild rebuilds only what changed.
    tar -C ${KBRIDGE_SRC_DIR} --exclude=target --exclude=.git -cf - ${KBRIDGE_SRC_PATHS} | tar -C ${S} -xf -
}

def kbridge_src_checksums(d):
    """file-checksums entries for the files under KBRIDGE_SRC_PATHS that git
    would commit (tracked, or untracked and not ignored), so cargo's target/
    and other ignored build output never count. Without git: every file."""
    import subprocess
    top = d.getVar('KBRIDGE_SRC_DIR')
    paths = d.getVar('KBRIDGE_SRC_PATHS').split()
    try:
        out = subprocess.check_output(['git', '-C', top, 'ls-files', '-z', '--cached', '--others',
                                       '--exclude-standard', '--'] + paths,
                                      stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return ' '.join('%s/%s/*:True' % (top, p) for p in paths)
    files = (os.path.join(top, f) for f in out.decode('utf-8').split('\0') if f)
    return ' '.join('%s:True' % f for f in files if os.path.isfile(f))
