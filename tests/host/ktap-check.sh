#!/usr/bin/env bash
# The guest's KTAP output, checked on the host: runs tests/guest/run-all.sh and
# lib.sh in a host shell on a few fake test files (passes, a failure, skips, a
# report from a second process, a file that dies half-way, an empty file),
# then checks that tests/host/ktap.py accepts the log and counts it as the
# guest's old KTEST lines were counted; and that it rejects broken logs.
set -euo pipefail
KB_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$KB_ROOT/tests/guest/run-all.sh" "$KB_ROOT/tests/guest/lib.sh" "$tmp/"
cat > "$tmp/t01-pass.sh" <<'T'
. ./lib.sh
ktest_pass a
ktest_pass b
( ktest_pass in-a-subshell )
sh -c '. ./lib.sh; ktest_pass other-process'
T
cat > "$tmp/t02-mixed.sh" <<'T'
. ./lib.sh
ktest_pass first
ktest_fail 'bad#name' "$(printf 'got 1\nexpected 2')"
ktest_skip no-debugfs "CONFIG_DEBUG_FS off"
T
cat > "$tmp/t03-skipped.sh" <<'T'
. ./lib.sh
ktest_skip x "not here"
ktest_skip y "not here"
T
cat > "$tmp/t04-dies.sh" <<'T'
. ./lib.sh
ktest_pass before
exit 3
T
printf '. ./lib.sh\n' > "$tmp/t05-empty.sh"

log="$tmp/console.log"
{ echo "[    1.0] boot messages before the tests"
  KTAP_STATE="$tmp/state" KTAP_KMEMLEAK=/nonexistent sh "$tmp/run-all.sh"
} > "$log" 2>&1
out=$(/usr/bin/python3 "$KB_ROOT/tests/host/ktap.py" "$log") || { cat "$log"; echo "$out"; echo "ktap.py rejected run-all.sh's output"; exit 1; }
want='FAIL t02-mixed/bad_name: got 1 expected 2
SKIP t02-mixed/no-debugfs: CONFIG_DEBUG_FS off
SKIP t03-skipped/x: not here
SKIP t03-skipped/y: not here
FAIL t04-dies/exit: script exited 3 (143: timed out after 180 s)
6 2 3'
if [ "$out" != "$want" ]; then
    cat "$log"; echo "--- got:"; echo "$out"; echo "--- expected:"; echo "$want"; exit 1
fi
grep -qx 'not ok 4 t04-dies' "$log" && grep -qx 'ok 3 t03-skipped # SKIP' "$log" \
    && grep -qx '    1..0' "$log" && grep -qx '1..5' "$log" \
    || { cat "$log"; echo "file results or plans are not as expected"; exit 1; }

# Broken logs: each must be refused (1) or, cut short, reported as incomplete (2).
expect_rc() {  # NAME WANT SED-SCRIPT
    sed "$3" "$log" > "$tmp/bad.log"
    rc=0; /usr/bin/python3 "$KB_ROOT/tests/host/ktap.py" "$tmp/bad.log" > "$tmp/bad.out" || rc=$?
    [ "$rc" = "$2" ] || { cat "$tmp/bad.out"; echo "$1: ktap.py exited $rc, expected $2"; exit 1; }
}
expect_rc misnumbered 1 's/^    ok 2 b$/    ok 3 b/'
expect_rc failed-file-said-ok 1 's/^not ok 2 t02-mixed$/ok 2 t02-mixed/'
expect_rc wrong-plan 1 's/^1\.\.5$/1..6/'
expect_rc no-end 2 '/^# kbridge-tests-end$/d'
# A result line garbled on the console: well formed, but the lost case is a failure.
expect_rc garbled 0 's/^    ok 2 b$/    o[  3.1] kernel says hello/'
tail -1 "$tmp/bad.out" | grep -qx '5 3 3' || { cat "$tmp/bad.out"; echo "garbled: the lost case is not a failure"; exit 1; }
echo "KTAP output of run-all.sh/lib.sh is well formed and counted as expected"
