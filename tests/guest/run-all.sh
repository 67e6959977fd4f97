# Runs every tests/guest/t*.sh in order (or the files matching $1), then the
# leak scan; ends with KTEST-END.
cd /tests || exit 1
pattern=${1:-'t[0-9]*.sh'}
. ./lib.sh
KML=/sys/kernel/debug/kmemleak
# Forget boot-time objects so the scan after the tests reports only new leaks.
[ -w "$KML" ] && echo clear > "$KML"

# shellcheck disable=SC2086 # the pattern is a glob on purpose
for t in $pattern; do
    echo "KTEST-FILE $t"
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
    [ "$rc" = 0 ] || echo "KTEST FAIL ${t%.sh}/exit: script exited $rc (143: timed out after $tmo s)"
done

if [ -w "$KML" ]; then
    unload_module 2>/dev/null
    # Two scans: kmemleak reports an object only once it was seen unreferenced twice.
    echo scan > "$KML"; sleep 1; echo scan > "$KML"
    leaks=$(cat "$KML")
    if [ -n "$leaks" ]; then
        echo "$leaks" | head -60 | sed 's/^/KMEMLEAK: /'
        echo "KTEST FAIL kmemleak/scan: kmemleak reports unreferenced objects (above)"
    else
        echo "KTEST PASS kmemleak/scan"
    fi
fi
echo "KTEST-END"
