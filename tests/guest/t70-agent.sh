# kbridge watch, kbridge blink and the kbridge agent daemon on the real board:
# events seen in order with filters and JSON, gaps with exact counts, blink
# counts and restores, the agent's initial state, mirror and heartbeat rules,
# SIGHUP reload (valid and invalid), recovery across unbind/rmmod/insmod, and
# clean exits on signals.
. ./lib.sh
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }
L=/sys/class/misc/kbridge/device/lines
T=/tmp/t70
mkdir -p $T
val() { cat $L/$1/value; }
led() { cat /sys/class/leds/board:$1/brightness; }
changes() { sed -n "s/^line [0-9]* $1 .* changes=\([0-9]*\) .*/\1/p" /proc/kbridge; }
button() { echo "pull-$1" > "$(sim_line 4)/pull"; }
# Centiseconds since boot.
uptime_cs() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}" | sed 's/^0*//;s/^$/0/'; }

# start_watch NAME ARGS...: background `kbridge watch` into $T/NAME.{out,err}, ready.
start_watch() {
    f=$1; shift
    kbridge watch "$@" > $T/$f.out 2> $T/$f.err &
    WP=$!
    wait_for $T/$f.err "watching" || ktest_fail "$f-ready" "$(cat $T/$f.err)"
}

kbridge set relay=0 buzzer=0 status=0 fault=0

# ---- watch: order, filter, text ----------------------------------------------
start_watch w1 relay status
kbridge set relay 1; kbridge set buzzer 1; kbridge set status 1
echo 0 > $L/relay/value
kbridge set buzzer 0
sleep 0.3
kill -INT $WP; wait_exit $WP
expect_eq watch-sigint-exit "$rc" 0
got=$(sed 's/^seq=[0-9]* t=[0-9.]* //' $T/w1.out | tr '\n' ';')
expect_eq watch-text-order "$got" "relay 0 -> 1 source=ioctl;status 0 -> 1 source=ioctl;relay 1 -> 0 source=sysfs;"
check watch-seq-increasing sh -c "sed 's/^seq=\([0-9]*\) .*/\1/' $T/w1.out | sort -n -c"
check watch-summary grep -q "kbridge watch: 5 events received, 3 shown, 0 gaps (0 events lost) via chardev; stopped by SIGINT" $T/w1.err

# ---- watch --json, SIGTERM ---------------------------------------------------
start_watch w2 --json
kbridge set fault 1
echo pull-up > "$(sim_line 5)/pull"; sleep 0.2
echo pull-down > "$(sim_line 5)/pull"; sleep 0.2
kbridge set fault 0
sleep 0.2
kill -TERM $WP; wait_exit $WP
expect_eq watch-sigterm-exit "$rc" 0
expect_eq watch-json-count "$(grep -c '^{"schema":"kbridge/2","type":"event","seq":' $T/w2.out)" 4
check watch-json-fields grep -q '"line":"fault","kind":"led","source":"ioctl","old_value":0,"new_value":1,"dropped":0}' $T/w2.out
# door is active-low: pulled up = inactive (0), so the edges read 1 -> 0 -> 1
expect_eq watch-json-door "$(grep -o '"line":"door"[^}]*"new_value":[0-9]' $T/w2.out | sed 's/.*://' | tr '\n' ' ')" "0 1 "
check watch-json-hardware grep -q '"line":"door","kind":"input","source":"hardware"' $T/w2.out
check watch-stopped-by-sigterm grep -q "stopped by SIGTERM" $T/w2.err

# ---- watch: unknown name, count ----------------------------------------------
kbridge watch relya > /dev/null 2> $T/w3.err; rc=$?
expect_eq watch-unknown-exit "$rc" 3
check watch-unknown-suggests grep -q 'did you mean `relay`' $T/w3.err
start_watch w4 --count 2 relay
kbridge toggle relay; kbridge toggle relay; kbridge toggle relay
wait_exit $WP
expect_eq watch-count-exit "$rc" 0
expect_eq watch-count-lines "$(wc -l < $T/w4.out)" 2

# ---- watch: a reader that falls behind gets one gap with the exact count -----
start_watch w5 --json
kill -STOP $WP
i=0
while [ $i -lt 200 ]; do echo "toggle relay" > /dev/kbridge; i=$((i + 1)); done
kill -CONT $WP
sleep 0.5
kill -INT $WP; wait_exit $WP
expect_eq gap-exit "$rc" 0
expect_eq gap-record "$(grep '"type":"gap"' $T/w5.out)" "$(grep -m1 '"type":"gap"' $T/w5.out)"
check gap-dropped-72 grep -q '^{"schema":"kbridge/2","type":"gap","dropped":72,"before_seq":' $T/w5.out
expect_eq gap-first "$(head -1 $T/w5.out | cut -c1-48)" '{"schema":"kbridge/2","type":"gap","dropped":72,'
expect_eq gap-events-after "$(grep -c '"type":"event"' $T/w5.out)" 128
check gap-summary grep -q "128 events received, 128 shown, 1 gaps (72 events lost)" $T/w5.err
kbridge set relay 0

# ---- blink -------------------------------------------------------------------
start_watch b1 relay --json
kbridge blink relay --period 20ms --count 5; rc=$?
sleep 0.2
kill -INT $WP; wait_exit $WP
expect_eq blink-exit "$rc" 0
expect_eq blink-changes "$(grep -c '"type":"event"' $T/b1.out)" 10
expect_eq blink-restored "$(val relay)" 0
# from on, a pattern ending on: restored to on, --json summary
kbridge set status 1
start_watch b2 status
out=$(kbridge blink status --pattern "off:10ms,on:10ms,off:10ms" --count 3 --json)
sleep 0.2
kill -INT $WP; wait_exit $WP
expect_eq blink-json "$out" '{"schema":"kbridge/2","via":"ioctl","line":"status","pattern":"off:10ms,on:10ms,off:10ms","cycles":3,"steps":9,"interrupted":false,"final_value":1}'
# off,on,off x3 from 1: 1>0 0>1 1>0 (x3, the 2nd and 3rd start at 0: off is no change) + final 0>1
expect_eq blink-pattern-changes "$(wc -l < $T/b2.out)" 8
expect_eq blink-pattern-restored "$(led green:status)" 1
check blink-final-off kbridge blink status --period 10ms --count 1 --final off --via sysfs
expect_eq blink-final-off-value "$(val status)" 0
check blink-via-chardev kbridge blink buzzer --period 10ms --count 2 --final on --via chardev
expect_eq blink-final-on-value "$(val buzzer)" 1
kbridge set buzzer 0
# Ctrl-C: stops at once, line restored
kbridge set fault 1
kbridge blink fault --period 100ms 2> $T/b3.err &
BP=$!
sleep 0.5
kill -INT $BP; wait_exit $BP 20
expect_eq blink-sigint-exit "$rc" 0
expect_eq blink-sigint-restored "$(val fault)" 1
check blink-sigint-message grep -q "interrupted after" $T/b3.err
check blink-input-refused sh -c '! kbridge blink button --count 1 --period 10ms 2>/dev/null'
kbridge blink relay --pattern "on:100" --count 1 2> $T/b4.err; rc=$?
expect_eq blink-bad-pattern-exit "$rc" 2
check blink-bad-pattern-message grep -q 'step `on:100`: `100` has no unit' $T/b4.err
kbridge set fault 0

# ---- agent: invalid configurations are refused -------------------------------
printf '[[mirror]]\nfrm = "button"\nto = "fault"\n' > $T/bad1.toml
kbridge agent --config $T/bad1.toml 2> $T/bad1.err; rc=$?
expect_eq agent-bad-key-exit "$rc" 1
check agent-bad-key-message grep -q "bad1.toml:2:1: mirror\[0\].frm: unknown field \`frm\`" $T/bad1.err
printf '[[mirror]]\nfrom = "buton"\nto = "door"\n' > $T/bad2.toml
kbridge agent --config $T/bad2.toml 2> $T/bad2.err; rc=$?
expect_eq agent-bad-board-exit "$rc" 1
check agent-bad-board-name grep -q 'bad2.toml:2:8: mirror\[0\].from: unknown line `buton` (did you mean `button`?)' $T/bad2.err
check agent-bad-board-kind grep -q 'bad2.toml:3:6: mirror\[0\].to: line `door` is an input line and cannot be a mirror target' $T/bad2.err
check agent-check-ok sh -c "printf '[initial]\nrelay = 1\n' > $T/ok.toml && kbridge agent --config $T/ok.toml --check"
expect_eq agent-check-applies-nothing "$(val relay)" 0

# ---- agent: start, initial state, mirror, heartbeat --------------------------
C=$T/agent.toml
# agent_conf MIRROR_TARGET INVERT: the test configuration (23 lines).
agent_conf() {
    cat <<EOF
[agent]
log_level = "debug"
retry_max = "1s"

[aliases]
btn = "button"
light = "status"

[initial]
relay = "on"
light = "off"

[patterns]
beat = "on:50ms,off:50ms"

[[mirror]]
from = "btn"
to = "$1"
invert = $2

[[heartbeat]]
led = "light"
pattern = "beat"
EOF
}
agent_conf fault false > $C
kbridge set relay=0 status=1 fault=0
kbridge agent --config $C 2> $T/agent.log &
AP=$!
if wait_for $T/agent.log "running on the board"; then ktest_pass agent-started
else ktest_fail agent-started "$(tail -5 $T/agent.log)"; fi
expect_eq agent-initial-relay "$(val relay)" 1
check agent-initial-logged grep -q "1 mirror rules, 1 heartbeats" $T/agent.log
button up; sleep 0.3
expect_eq agent-mirror-on "$(led red:fault)" 1
button down; sleep 0.3
expect_eq agent-mirror-off "$(led red:fault)" 0
# 50ms on / 50ms off: 20 changes a second. The reads are slow on the debug
# kernel, so the rate is taken over the time bracketing the two reads.
ta=$(uptime_cs); c1=$(changes status); tb=$(uptime_cs)
sleep 1
tc=$(uptime_cs); c2=$(changes status); td=$(uptime_cs)
d=$((c2 - c1)); lo=$(((tc - tb) * 10 / 100)); hi=$(((td - ta) * 22 / 100 + 1))
if [ $d -ge $lo ] && [ $d -le $hi ]; then ktest_pass agent-heartbeat
else ktest_fail agent-heartbeat "status changed $d times in $((tc - tb))..$((td - ta)) cs (expected $lo..$hi)"; fi

# ---- agent: SIGHUP with a changed rule ---------------------------------------
agent_conf buzzer true > $C
kill -HUP $AP
if wait_for $T/agent.log "configuration reloaded"; then ktest_pass agent-reload
else ktest_fail agent-reload "$(tail -5 $T/agent.log)"; fi
expect_eq agent-reload-synced "$(val buzzer)" 1
button up; sleep 0.3
expect_eq agent-reload-inverted "$(val buzzer)" 0
expect_eq agent-reload-old-rule-gone "$(led red:fault)" 0
button down; sleep 0.3
expect_eq agent-reload-inverted-back "$(val buzzer)" 1

# ---- agent: an invalid reload is rejected, the old rules keep running --------
cp $C $T/good.toml
printf '\n[[mirror]]\nfrom = "door"\nto = "relay"\ninvertt = true\n' >> $C
kill -HUP $AP
if wait_for $T/agent.log "keeping the running configuration"; then ktest_pass agent-bad-reload-rejected
else ktest_fail agent-bad-reload-rejected "$(tail -5 $T/agent.log)"; fi
check agent-bad-reload-message grep -q "reload rejected: $C:28:1: mirror\[1\].invertt: unknown field" $T/agent.log
check agent-alive-after-bad-reload kill -0 $AP
button up; sleep 0.3
expect_eq agent-old-rules-run "$(val buzzer)" 0
button down; sleep 0.3
expect_eq agent-old-rules-run-back "$(val buzzer)" 1
cp $T/good.toml $C

# ---- agent: the board goes away and comes back -------------------------------
# The agent holds /dev/kbridge open, so the kernel refuses rmmod (module
# reference of the open file) until the board is unbound.
check agent-rmmod-busy sh -c '! rmmod kbridge 2>/dev/null'
echo kbridge > /sys/bus/platform/drivers/kbridge/unbind
if wait_for $T/agent.log "board gone"; then ktest_pass agent-notices-gone
else ktest_fail agent-notices-gone "$(tail -5 $T/agent.log)"; fi
n=0; until rmmod kbridge 2>/dev/null; do n=$((n + 1)); [ $n -ge 30 ] && break; sleep 0.1; done
check agent-released-board sh -c '! grep -q "^kbridge " /proc/modules'
# bounded retry rate, counted over a measured 2.5 s window (the unbind and the
# rmmod above take seconds on a loaded debug kernel): backoff 100 ms doubling
# to retry_max=1s gives at most 7 tries in 2.5 s, and at least one.
t0=$(grep -c "board still away" $T/agent.log)
sleep 2.5
tries=$(( $(grep -c "board still away" $T/agent.log) - t0 ))
check agent-survives-unload kill -0 $AP
if [ "$tries" -ge 1 ] && [ "$tries" -le 7 ]; then ktest_pass agent-backoff
else ktest_fail agent-backoff "$tries retries logged in 2.5 s (expected 1..7)"; fi
insmod $KB_KO
if wait_for $T/agent.log "board back after"; then ktest_pass agent-recovers
else ktest_fail agent-recovers "$(tail -5 $T/agent.log)"; fi
sleep 0.2
expect_eq agent-reapplied-initial "$(val relay)" 1
expect_eq agent-reapplied-mirror "$(val buzzer)" 1
button up; sleep 0.3
expect_eq agent-mirror-after-reload "$(val buzzer)" 0
button down; sleep 0.3
c1=$(changes status); sleep 0.5; c2=$(changes status)
if [ $((c2 - c1)) -ge 4 ]; then ktest_pass agent-heartbeat-after-reload
else ktest_fail agent-heartbeat-after-reload "status changed $((c2 - c1)) times in 0.5 s"; fi

# ---- agent: SIGTERM ------------------------------------------------------------
kill -TERM $AP; wait_exit $AP
expect_eq agent-sigterm-exit "$rc" 0
check agent-stopped-logged grep -q "SIGTERM: stopped" $T/agent.log
expect_eq agent-heartbeat-left-off "$(val status)" 0
check agent-no-other-errors sh -c "! grep 'agent: error' $T/agent.log | grep -v 'reload rejected\|keeping the running'"
check rmmod-after-agent rmmod kbridge
