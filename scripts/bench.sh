#!/usr/bin/env bash
# make bench: on each lane of $LANES (default "6.12 latest rpi4"), boot the board,
# run `kbridge bench` (tests/guest/bench-lane.sh, which is not part of `make test`),
# print its table and keep its JSON in out/bench/<lane>.json and the console in
# out/bench/<lane>.log. Exits non-zero if a lane could not run or the bench failed
# (an error, or wrong burst accounting); a missed performance target is in the
# table, not in the exit status. A lane whose kernel can't be had (sid not
# reachable for `latest`) is skipped loudly.
. "$(dirname "$0")/lib.sh"
lanes=${LANES:-"6.12 latest rpi4"}
mkdir -p "$KB_OUT/bench"
"$KB_ROOT/scripts/build-agent.sh" >/dev/null
status=0
for lane in $lanes; do
    klane=$(kb_lane_kernel "$lane")
    rc=0; "$KB_ROOT/scripts/kernel.sh" "$klane" >/dev/null || rc=$?
    if [ "$rc" = 77 ]; then kb_log "lane $lane: skipped (no $klane kernel, see above)"; continue; fi
    [ "$rc" = 0 ] || { kb_log "lane $lane: kernel build failed"; status=1; continue; }
    rc=0; KBRIDGE_TESTS=bench-lane.sh "$KB_ROOT/scripts/run-guest.sh" "$lane" test \
        >/dev/null 2>"$KB_OUT/bench/$lane.err" || rc=$?
    console="$KB_OUT/$lane/console-test.log"
    cp "$console" "$KB_OUT/bench/$lane.log"
    echo "== lane $lane =="
    sed -n 's/^BENCH: //p' "$console"
    sed -n 's/^BENCH-JSON: //p' "$console" > "$KB_OUT/bench/$lane.json"
    if [ "$rc" != 0 ] || [ ! -s "$KB_OUT/bench/$lane.json" ]; then
        kb_log "lane $lane: the bench failed (console: $KB_OUT/bench/$lane.log)"
        cat "$KB_OUT/bench/$lane.err" >&2
        status=1
    else
        kb_log "lane $lane: JSON in $KB_OUT/bench/$lane.json"
    fi
done
exit $status
