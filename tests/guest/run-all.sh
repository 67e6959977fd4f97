# Runs every tests/guest/t*.sh in order (or the files matching $1), then the
# leak scan, and reports it all as KTAP (Documentation/dev-tools/ktap.rst):
#
#     KTAP version 1
#     1..<files, plus kmemleak on the debug lane>
#         KTAP version 1
#         # Subtest: t10-module
#         ok 1 insmod                   <- the file's cases (lib.sh)
#         not ok 2 rmmod # reason
#         1..2
#     not ok 1 t10-module
#     ...
#     # kbridge-tests-end
#
# A file's plan comes after its cases (as TAP allows), so that its results
# stream to the console as they happen and a guest that dies mid-file still
# shows them. The last line tells the host the run finished.
cd "$(dirname "$0")" || exit 1
pattern=${1:-'t[0-9]*.sh'}
. ./lib.sh
# The host's check of this file (tests/host/ktap-check.sh) points these away.
KML=${KTAP_KMEMLEAK:-/sys/kernel/debug/kmemleak}
KTAP_STATE=${KTAP_STATE:-/tmp/ktap-state}
# Forget boot-time objects so the scan after the tests reports only new leaks.
[ -w "$KML" ] && echo clear > "$KML"

# ktap_begin NAME: a subtest's header, with no case counted yet. The count is
# writable by all: kbridge-test reports some cases after dropping root.
ktap_begin() {
    echo "0 0 0" > "$KTAP_STATE"
    chmod 666 "$KTAP_STATE"
    echo "    KTAP version 1"
    echo "    # Subtest: $1"
}
# ktap_end NUMBER NAME: the subtest's plan and its result (failed if a case
# failed, skipped if every case was skipped).
ktap_end() {
    read -r n f s < "$KTAP_STATE" || { n=0 f=1 s=0; }
    echo "    1..$n"
    if [ "$f" != 0 ]; then echo "not ok $1 $2"
    elif [ "$n" != 0 ] && [ "$s" = "$n" ]; then echo "ok $1 $2 # SKIP"
    else echo "ok $1 $2"; fi
}

# shellcheck disable=SC2086 # the pattern is a glob on purpose
set -- $pattern
total=$#
[ -w "$KML" ] && total=$((total + 1))
echo "KTAP version 1"
echo "1..$total"
i=0
for t in "$@"; do
    i=$((i + 1))
    ktap_begin "${t%.sh}"
    # A hung test file fails on its own instead of eating the guest's timeout.
    tmo=180
    case $t in
        t90-*) tmo=600 ;;                          # every allocation of a bind, failed in turn
        t37-*) tmo=$((${kb_fuzz:-120} + 180)) ;;   # the fuzz campaign's own length
    esac
    KTEST_FILE=${t%.sh} timeout $tmo sh "./$t"
    rc=$?
    # timeout stops the file's shell only: stop what it started too.
    [ "$rc" != 143 ] || killall -q kbridge-test kbridge-fuzz kbridge mosquitto mosquitto_sub 2>/dev/null
    [ "$rc" = 0 ] || ktest_fail exit "script exited $rc (143: timed out after $tmo s)"
    ktap_end $i "${t%.sh}"
done

if [ -w "$KML" ]; then
    i=$((i + 1))
    ktap_begin kmemleak
    unload_module 2>/dev/null
    # Two scans: kmemleak reports an object only once it was seen unreferenced twice.
    echo scan > "$KML"; sleep 1; echo scan > "$KML"
    leaks=$(cat "$KML")
    if [ -n "$leaks" ]; then
        echo "$leaks" | head -60 | sed 's/^/KMEMLEAK: /'
        ktest_fail scan "kmemleak reports unreferenced objects (above)"
    else
        ktest_pass scan
    fi
    ktap_end $i kmemleak
fi
echo "# kbridge-tests-end"
