# The agent's MQTT bridge against a real Mosquitto broker on the guest's loopback
# (docs/mqtt.md): discovery payloads, retained state on every change (several
# interfaces, a gpio-sim edge) in seq order, /set and the atomic board /set,
# refused writes, status and gap re-publish, SIGHUP reload (valid and invalid),
# broker restart -> reconnect -> re-publish, the board unbound and reloaded,
# LWT on kill, a wrong password, TLS with a test CA (made on the host by
# scripts/mosquitto.sh) and a client certificate, and an untrusted CA.
. ./lib.sh
MQ=/usr/sbin/mosquitto
PKI=/etc/kbridge-test
if [ ! -x $MQ ]; then
    ktest_skip mqtt "no mosquitto in the initramfs (scripts/mosquitto.sh could not fetch it on the host)"
    exit 0
fi
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }
L=/sys/class/misc/kbridge/device/lines
T=/tmp/t75
rm -rf $T; mkdir -p $T
val() { cat $L/$1/value; }
changes() { sed -n "s/^line [0-9]* $1 .* changes=\([0-9]*\) .*/\1/p" /proc/kbridge; }
B=$(sed -n 's/^board \([^ ]*\) .*/\1/p' /proc/kbridge)
P=kbridge/$B

# wait_check NAME FILE PATTERN [TENTHS]: pass once PATTERN (grep -E) is in FILE.
wait_check() {
    n=0
    while [ $n -lt "${4:-50}" ]; do
        grep -q -E -- "$3" "$2" 2>/dev/null && { ktest_pass "$1"; return 0; }
        sleep 0.1; n=$((n + 1))
    done
    ktest_fail "$1" "no /$3/ in $2: $(tail -4 "$2" | tr '\n' ' ' | cut -c1-400)"
    return 1
}
# Messages after the current end of the subscriber's log: mark, then since.
mark() { wc -l < $T/sub.out; }
since() { tail -n +$(($1 + 1)) $T/sub.out; }
# wait_since NAME MARK PATTERN [TENTHS]: wait_check on the messages after MARK only.
wait_since() {
    n=0
    while [ $n -lt "${4:-50}" ]; do
        since "$2" | grep -q -E -- "$3" && { ktest_pass "$1"; return 0; }
        sleep 0.1; n=$((n + 1))
    done
    ktest_fail "$1" "no /$3/ after message $2: $(since "$2" | tail -4 | tr '\n' ' ' | cut -c1-400)"
    return 1
}
pub() { mosquitto_pub -h 127.0.0.1 -p 1883 -u tester -P testpw -q 1 "$@"; }

# ---- the broker --------------------------------------------------------------
# Certificates are checked against the clock, and the board has no RTC driver
# (it boots in 1970): set it to when the test PKI was made, if it is earlier.
now=$(date +%s); made=$(cat $PKI/created 2>/dev/null || echo 0)
[ "$now" -ge "$made" ] || date -s "@$((made + 60))" > /dev/null
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
check mosquitto-runs sh -c "$MQ -h 2>&1 | grep -q 'mosquitto version'"
printf 'secret\n' > $T/pass
printf 'wrong\n' > $T/wrongpass
mosquitto_passwd -c -b $T/passwd kbridge secret 2>/dev/null
mosquitto_passwd -b $T/passwd tester testpw 2>/dev/null
cat > $T/mosquitto.conf <<EOF
user root
persistence false
per_listener_settings true
log_dest file $T/broker.log
log_type all
listener 1883 127.0.0.1
allow_anonymous false
password_file $T/passwd
listener 8883 127.0.0.1
allow_anonymous false
password_file $T/passwd
cafile $PKI/ca.pem
certfile $PKI/broker.pem
keyfile $PKI/broker.key
require_certificate true
EOF
start_broker() {
    $MQ -c $T/mosquitto.conf > $T/broker.out 2>&1 &
    BRP=$!
    n=0
    while [ $n -lt 50 ]; do
        pub -t t75/ping -m x 2>/dev/null && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}
if start_broker; then ktest_pass broker-started
else
    ktest_fail broker-started "$(cat $T/broker.out $T/broker.log 2>/dev/null | tail -5)"
    exit 0
fi
mosquitto_sub -h 127.0.0.1 -u tester -P testpw -v -t 'kbridge/#' -t 'kb2/#' -t 'homeassistant/#' > $T/sub.out 2> $T/sub.err &
SUBP=$!
sleep 0.3

# ---- configuration errors in the file:line:column style ----------------------
printf '[mqtt]\nbroker = "mqtt://127.0.0.1"\nusername = "kbridge"\npassword_file = "%s/nope"\n' $T > $T/bad.toml
kbridge agent --config $T/bad.toml --check 2> $T/bad.err; rc=$?
expect_eq config-bad-file-exit "$rc" 1
check config-bad-file-message grep -q "bad.toml:4:17: mqtt.password_file: cannot read \`$T/nope\`" $T/bad.err
printf '[mqtt]\nbroker = "mqtt://127.0.0.1"\nwritable = ["button"]\n' > $T/bad2.toml
kbridge agent --config $T/bad2.toml --check 2> $T/bad2.err; rc=$?
expect_eq config-bad-line-exit "$rc" 1
check config-bad-line-message grep -q 'bad2.toml:3:13: mqtt.writable\[0\]: line `button` is an input line and cannot be set' $T/bad2.err

# ---- the agent, plain MQTT with a password -----------------------------------
kbridge set relay=0 buzzer=0 status=0 fault=0
# agent_conf PREFIX BROKER [EXTRA]: the configuration.
agent_conf() {
    cat <<EOF
[agent]
log_level = "debug"
retry_max = "1s"

[mqtt]
broker = "$2"
username = "kbridge"
password_file = "$T/pass"
prefix = "$1"
keep_alive = "5s"
writable = ["relay", "status", "fault"]
$3
EOF
}
C=$T/agent.toml
agent_conf kbridge mqtt://127.0.0.1:1883 > $C
kbridge agent --config $C 2> $T/agent.log &
AP=$!
wait_check agent-connected $T/agent.log "mqtt: connected to 127.0.0.1:1883"
wait_check availability-online $T/sub.out "^$P/availability online$"

# ---- Home Assistant discovery ------------------------------------------------
disc() { grep "^homeassistant/$1/$B/$2/config " $T/sub.out | tail -1 | cut -d' ' -f2-; }
wait_for $T/sub.out "^homeassistant/binary_sensor/$B/door/config" 30
d=$(disc switch relay)
for f in '"name":"relay"' "\"unique_id\":\"kbridge_${B}_relay\"" "\"state_topic\":\"$P/relay\"" \
         "\"command_topic\":\"$P/relay/set\"" "\"availability_topic\":\"$P/availability\"" \
         '"payload_available":"online"' '"payload_not_available":"offline"' '"payload_on":"ON"' \
         '"payload_off":"OFF"' '"state_on":"ON"' '"state_off":"OFF"' \
         '"value_template":"{{ value_json.state }}"' "\"identifiers\":\[\"kbridge_$B\"\]"; do
    echo "$d" | grep -q -- "$f" && ktest_pass "discovery-switch-$(echo "$f" | cut -d'"' -f2)" \
        || ktest_fail "discovery-switch-$(echo "$f" | cut -d'"' -f2)" "no $f in '$d'"
done
d=$(disc binary_sensor button)
echo "$d" | grep -q "\"state_topic\":\"$P/button\"" && ! echo "$d" | grep -q command_topic \
    && ktest_pass discovery-binary-sensor || ktest_fail discovery-binary-sensor "'$d'"
# A writable-kind line left out of mqtt.writable is a sensor, not a switch.
d=$(disc binary_sensor buzzer)
[ -n "$d" ] && ! echo "$d" | grep -q command_topic && [ -z "$(disc switch buzzer)" ] \
    && ktest_pass discovery-read-only-output || ktest_fail discovery-read-only-output "'$d'"
d=$(disc light status)
echo "$d" | grep -q '"schema":"json"' && echo "$d" | grep -q "\"command_topic\":\"$P/status/set\"" \
    && echo "$d" | grep -q '"supported_color_modes":\["onoff"\]' \
    && ktest_pass discovery-light || ktest_fail discovery-light "'$d'"
# Every discovery payload is one JSON object with HA's required keys.
n=$(grep -c "^homeassistant/[a-z_]*/$B/[a-z_-]*/config {.*\"state_topic\".*\"unique_id\"" $T/sub.out)
nl=$(grep -c '^line ' /proc/kbridge)
[ "$n" -ge "$nl" ] && ktest_pass discovery-every-line || ktest_fail discovery-every-line "$n configs for $nl lines"

# ---- retained state, full set at connection ----------------------------------
wait_check state-initial $T/sub.out "^$P/relay \{\"seq\":[0-9]+,\"source\":[^,]*,\"state\":\"OFF\",\"timestamp_ns\":[^,]*,\"value\":0\}$"
wait_check status-topic $T/sub.out "^$P/status \{.*\"mqtt\":\{\"connected\":true,\"connections\":1,"
# A late subscriber gets the retained state at once.
r=$(mosquitto_sub -h 127.0.0.1 -u tester -P testpw -t "$P/relay" -C 1 -W 5)
echo "$r" | grep -q '"value":0' && ktest_pass state-retained || ktest_fail state-retained "'$r'"

# ---- publish on change: several interfaces and a gpio-sim edge ---------------
m=$(mark)
kbridge set relay 1 --via ioctl
echo 0 > $L/relay/value
echo "set relay 1" > /dev/kbridge
kbridge set relay 0 --via netlink
echo pull-up > "$(sim_line 4)/pull"
sleep 0.2
echo pull-down > "$(sim_line 4)/pull"
for s in "ioctl:ON:1" "sysfs:OFF:0" "chardev:ON:1" "netlink:OFF:0"; do
    src=${s%%:*}; rest=${s#*:}
    wait_check "publish-via-$src" $T/sub.out "^$P/relay \{\"seq\":[0-9]+,\"source\":\"$src\",\"state\":\"${rest%:*}\",\"timestamp_ns\":[0-9]+,\"value\":${rest#*:}\}$"
done
wait_check publish-gpio-sim-edge $T/sub.out "^$P/button \{\"seq\":[0-9]+,\"source\":\"hardware\",\"state\":\"ON\","
wait_check publish-gpio-sim-edge-back $T/sub.out "^$P/button \{\"seq\":[0-9]+,\"source\":\"hardware\",\"state\":\"OFF\","
sleep 0.3
since "$m" | grep "^$P/[a-z_-]* {" | sed 's/.*"seq":\([0-9]*\),.*/\1/' > $T/seqs
expect_eq publish-count "$(wc -l < $T/seqs)" 6
check publish-seq-order sort -n -c -u $T/seqs
expect_eq publish-order "$(since "$m" | grep "^$P/[a-z_-]* {" | sed 's/^[^ ]*\/\([a-z_-]*\) .*"source":"\([a-z]*\)".*/\1:\2/' | tr '\n' ' ')" \
    "relay:ioctl relay:sysfs relay:chardev relay:netlink button:hardware button:hardware "

# ---- remote /set -------------------------------------------------------------
pub -t "$P/relay/set" -m ON
wait_check set-relay-on-published $T/sub.out "^$P/relay \{.*\"source\":\"ioctl\",\"state\":\"ON\""
expect_eq set-relay-on "$(val relay)" 1
pub -t "$P/relay/set" -m OFF; sleep 0.3
expect_eq set-relay-off "$(val relay)" 0
pub -t "$P/status/set" -m '{"state":"ON"}'; sleep 0.3
expect_eq set-light-json "$(val status)" 1
pub -t "$P/status/set" -m TOGGLE; sleep 0.3
expect_eq set-toggle "$(val status)" 0

# ---- atomic multi-line set: one SET_VALUES, consecutive seqs -----------------
m=$(mark)
pub -t "$P/set" -m '{"relay":"ON","status":1,"fault":"ON"}'
sleep 0.5
expect_eq set-board-values "$(val relay)$(val status)$(val fault)" 111
since "$m" | grep "^$P/\(relay\|status\|fault\) {" | sed 's/.*"seq":\([0-9]*\),.*/\1/' > $T/bseqs
first=$(head -1 $T/bseqs)
expect_eq set-board-consecutive "$(tr '\n' ' ' < $T/bseqs)" "$first $((first + 1)) $((first + 2)) "

# ---- refused commands: nothing changes, an error message explains ------------
m=$(mark)
c_buzzer=$(changes buzzer); c_relay=$(changes relay)
pub -t "$P/buzzer/set" -m ON
pub -t "$P/button/set" -m ON
pub -t "$P/nosuch/set" -m ON
pub -t "$P/set" -m '{"relay":"OFF","buzzer":"ON"}'
pub -t "$P/relay/set" -m 7
wait_check refused-read-only-error $T/sub.out "^$P/error \{\"error\":\"read_only\",\"message\":\"line \`buzzer\` is not writable over MQTT \(mqtt.writable\)\",\"payload\":\"ON\",\"topic\":\"$P/buzzer/set\"\}$"
wait_check refused-input-error $T/sub.out "^$P/error \{\"error\":\"read_only\",.*\"topic\":\"$P/button/set\"\}$"
wait_check refused-unknown-error $T/sub.out "^$P/error \{\"error\":\"unknown_line\",.*\"topic\":\"$P/nosuch/set\"\}$"
wait_check refused-board-set-error $T/sub.out "^$P/error \{\"error\":\"read_only\",.*\"topic\":\"$P/set\"\}$"
wait_check refused-range-error $T/sub.out "^$P/error \{\"error\":\"out_of_range\",.*\"topic\":\"$P/relay/set\"\}$"
expect_eq refused-buzzer-unchanged "$(val buzzer) $(changes buzzer)" "0 $c_buzzer"
expect_eq refused-board-set-atomic "$(val relay) $(changes relay)" "1 $c_relay"
expect_eq refused-no-state-message "$(since "$m" | grep -c "^$P/\(relay\|buzzer\|button\) {")" 0
check refused-logged grep -q "mqtt: refused $P/buzzer/set \`ON\`: line \`buzzer\` is not writable" $T/agent.log

# ---- a gap in the event stream: full re-publish, counted ---------------------
m=$(mark)
kill -STOP $AP
i=0
while [ $i -lt 200 ]; do echo "toggle fault" > /dev/kbridge; i=$((i + 1)); done
kill -CONT $AP
wait_check gap-logged $T/agent.log "mqtt: re-publishing the whole state \(1 gaps, 72 events lost so far\)"
wait_check gap-status $T/sub.out "^$P/status \{.*\"mqtt\":\{.*\"gaps\":1,\"lost_events\":72,"
sleep 0.3
last=$(since "$m" | grep "^$P/fault {" | tail -1)
echo "$last" | grep -q "\"value\":$(val fault)}" && ktest_pass gap-final-state || ktest_fail gap-final-state "'$last' vs $(val fault)"

# ---- broker restart: reconnect, latest state re-published --------------------
kill $BRP; wait $BRP 2>/dev/null
wait_check broker-gone-logged $T/agent.log "mqtt: .*reconnecting in"
kbridge set relay=0 buzzer=1
if start_broker; then ktest_pass broker-restarted; else ktest_fail broker-restarted "$(tail -3 $T/broker.out)"; fi
wait_check reconnected $T/agent.log "mqtt: connected to 127.0.0.1:1883 \(connection 2\)" 150
# The new broker has no persistence: the retained state can only be the agent's re-publish.
r=$(mosquitto_sub -h 127.0.0.1 -u tester -P testpw -t "$P/relay" -t "$P/buzzer" -C 2 -W 5 -v | sort | tr '\n' ' ')
echo "$r" | grep -q "^$P/buzzer {.*\"value\":1} $P/relay {.*\"value\":0} $" && ktest_pass republish-after-restart \
    || ktest_fail republish-after-restart "'$r'"
r=$(mosquitto_sub -h 127.0.0.1 -u tester -P testpw -t "$P/availability" -C 1 -W 5)
expect_eq availability-after-restart "$r" online
kill $SUBP 2>/dev/null
mosquitto_sub -h 127.0.0.1 -u tester -P testpw -v -t 'kbridge/#' -t 'kb2/#' -t 'homeassistant/#' >> $T/sub.out 2>> $T/sub.err &
SUBP=$!
sleep 0.3

# ---- SIGHUP reload: a new prefix ---------------------------------------------
agent_conf kb2 mqtt://127.0.0.1:1883 > $C
kill -HUP $AP
wait_check reload-new-prefix $T/sub.out "^kb2/$B/availability online$"
wait_check reload-old-offline $T/sub.out "^$P/availability offline$"
pub -t "kb2/$B/relay/set" -m ON
wait_check reload-set-new-prefix $T/sub.out "^kb2/$B/relay \{.*\"source\":\"ioctl\",\"state\":\"ON\""

# An invalid [mqtt] on reload is rejected; the running bridge stays.
sed 's/^keep_alive = .*/qos = 5/' $C > $T/invalid.toml
cp $C $T/good.toml; cp $T/invalid.toml $C
kill -HUP $AP
wait_check reload-invalid-rejected $T/agent.log "reload rejected: .*agent.toml:10:7: mqtt.qos: 5 is not a QoS \(0, 1 or 2\)"
cp $T/good.toml $C
pub -t "kb2/$B/relay/set" -m OFF
wait_check reload-invalid-bridge-stays $T/sub.out "^kb2/$B/relay \{.*\"source\":\"ioctl\",\"state\":\"OFF\""

# ---- the board goes away and comes back --------------------------------------
m=$(mark)
echo kbridge > /sys/bus/platform/drivers/kbridge/unbind
wait_since board-gone-offline "$m" "^kb2/$B/availability offline$"
pub -t "kb2/$B/relay/set" -m ON
wait_since board-gone-command-refused "$m" "^kb2/$B/error \{\"error\":\"board_away\","
n=0; until rmmod kbridge 2>/dev/null; do n=$((n + 1)); [ $n -ge 30 ] && break; sleep 0.1; done
m=$(mark)
insmod $KB_KO
wait_since board-back-online "$m" "^kb2/$B/availability online$" 100
wait_since board-back-state "$m" "^kb2/$B/relay \{.*\"value\":0\}$"

# ---- LWT: killed without a goodbye -------------------------------------------
m=$(mark)
kill -9 $AP; wait $AP 2>/dev/null
wait_since lwt-offline "$m" "^kb2/$B/availability offline$" 100
check lwt-broker-logged grep -q "Client $B .*closed its connection\|Client $B disconnected\|Socket error on client $B" $T/broker.log

# ---- wrong password: refused, never connected --------------------------------
agent_conf kbridge mqtt://127.0.0.1:1883 > $C
sed -i "s|$T/pass\"|$T/wrongpass\"|" $C
kbridge agent --config $C 2> $T/wrong.log &
AP=$!
wait_check wrong-password-refused $T/wrong.log "mqtt: the broker refused the connection \((NotAuthorized|BadUserNamePassword)\)"
check wrong-password-not-connected sh -c "! grep -q 'mqtt: connected' $T/wrong.log"
kill -TERM $AP; wait_exit $AP
expect_eq wrong-password-exit "$rc" 0

# ---- TLS with the test CA and a client certificate ---------------------------
tls="ca = \"$PKI/ca.pem\"
client_cert = \"$PKI/client.pem\"
client_key = \"$PKI/client.key\""
agent_conf kbridge mqtts://127.0.0.1:8883 "$tls" > $C
m=$(mark)
kbridge agent --config $C 2> $T/tls.log &
AP=$!
wait_check tls-connected $T/tls.log "mqtt: connected to 127.0.0.1:8883"
wait_since tls-availability "$m" "^$P/availability online$"
kbridge set buzzer=$((1 - $(val buzzer)))
wait_since tls-state "$m" "^$P/buzzer \{.*\"source\":\"ioctl\",\"state\":\"(ON|OFF)\",.*\"value\":$(val buzzer)\}$"
# Clean stop: "offline" from the agent itself.
kill -TERM $AP; wait_exit $AP
expect_eq tls-stop-exit "$rc" 0
wait_since tls-stop-offline "$m" "^$P/availability offline$"
check tls-stop-clean grep -q "Client $B disconnected\." $T/broker.log
# A broker certificate from a CA the agent does not trust: no connection.
sed "s|$PKI/ca.pem|$PKI/other-ca.pem|" $C > $T/other.toml
kbridge agent --config $T/other.toml 2> $T/other.log &
AP=$!
wait_check tls-untrusted-refused $T/other.log "mqtt: .*(invalid peer certificate|UnknownIssuer)"
check tls-untrusted-not-connected sh -c "! grep -q 'mqtt: connected' $T/other.log"
kill -TERM $AP; wait_exit $AP

# ---- the session, for the record ---------------------------------------------
echo "t75: MQTT session excerpt (the subscriber's view, in order):"
grep -n -E "^homeassistant/switch/$B/relay/config |^$P/button \{.*\"hardware\"|^$P/relay/set|^$P/relay \{.*\"ioctl\",\"state\":\"ON\"|^$P/error |^[a-z0-9]*/$B/availability (online|offline)$" $T/sub.out \
    | head -10 | cut -c1-330 | sed 's/^/t75: /'
grep -n -E "^[a-z0-9]*/$B/availability (online|offline)$" $T/sub.out | sed 's/^/t75: /'
grep -E "Client $B|New client connected.* as $B |Socket error on client $B" $T/broker.log | cut -d' ' -f2- | sed 's/^/t75: broker: /'
kill $SUBP 2>/dev/null
kill $BRP 2>/dev/null; wait $BRP 2>/dev/null
kbridge set relay=0 buzzer=0 status=0 fault=0
