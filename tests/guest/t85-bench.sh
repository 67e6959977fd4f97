# kbridge bench, structurally (issue 14): a short run whose JSON parses, whose
# burst accounting is exact, and whose one-line mmap read is at least 10 times
# cheaper than an ioctl get. No other timed assertion: TCG times move with the
# host; `make bench` reports the real figures and targets.
. ./lib.sh
command -v kbridge >/dev/null || { ktest_fail cli-present "kbridge not in the initramfs"; exit 0; }
load_module || { ktest_fail load "insmod failed"; exit 0; }
before=$(kbridge get relay)
kbridge bench -n 100 -k 8 --events 300 --latency-samples 20 --json >/tmp/b85.json 2>/tmp/b85.err; rc=$?
# Exit 1 means wrong burst accounting (checked row by row below); 0 otherwise.
case $rc in 0|1) ktest_pass bench-ran ;; *) ktest_fail bench-ran "exit $rc: $(tail -2 /tmp/b85.err)" ;; esac
expect_eq bench-restored "$(kbridge get relay)" "$before"
# The get/set rows ran without the BPF program (it runs on every change); the
# bench attached it only for its own rows and events, and detached it after.
check bpf-not-during-fast-rows grep -q '"bpf_during_fast_rows":false' /tmp/b85.json
check bpf-detached-after sh -c 'kbridge bpf status | grep -q "^attached  no"'

# The document parses: one object, brackets balanced outside strings.
json_ok=$(awk 'BEGIN { RS = "\001" } {
    depth = 0; instr = 0; esc = 0; bad = 0; closed = 0
    for (i = 1; i <= length($0); i++) {
        c = substr($0, i, 1)
        if (instr) { if (esc) esc = 0; else if (c == "\\") esc = 1; else if (c == "\"") instr = 0; continue }
        if (c == "\"") instr = 1
        else if (c == "{" || c == "[") { if (closed) bad = 1; depth++ }
        else if (c == "}" || c == "]") { depth--; if (depth < 0) bad = 1; if (depth == 0) closed = 1 }
    }
    print (bad || depth != 0 || instr || !closed) ? "bad" : "ok"
}' /tmp/b85.json)
expect_eq json-parses "$json_ok" ok
check json-is-versioned grep -q '"schema":"kbridge/2"' /tmp/b85.json

# Every row, baseline and target is there.
for row in '"via":"clock","op":"empty batch"' '"via":"getppid","op":"call"' \
           '"via":"gpio-v2","op":"get"' '"via":"gpio-v2","op":"set"' \
           '"via":"ioctl","op":"get","role":"library"' '"via":"ioctl","op":"get-values","role":"bare"' \
           '"via":"ioctl","op":"set","role":"library"' '"via":"ioctl","op":"set-values","role":"bare"' \
           '"via":"mmap","op":"value","role":"library"' '"via":"mmap","op":"value","role":"bare"' \
           '"via":"procfs","op":"get"' '"via":"sysfs","op":"set"' '"via":"chardev","op":"set"' \
           '"via":"netlink","op":"get"'; do
    check "row-$(echo "$row" | tr -cd 'a-z-' | cut -c1-40)" grep -q "$row" /tmp/b85.json
done
expect_eq targets "$(grep -o '"cmp":"[<>]="' /tmp/b85.json | wc -l | tr -d ' ')" 7
check throughput-chardev grep -q '"transport":"chardev","runs"' /tmp/b85.json
check latency-netlink grep -q '"transport":"netlink","samples":20' /tmp/b85.json

# Structural ratio, wide margin: mmap one-line read >= 10x cheaper than ioctl get.
ratio=$(grep -o '"name":"ioctl get / mmap read","value":[0-9.e+]*' /tmp/b85.json | sed 's/.*"value"://')
if awk -v r="$ratio" 'BEGIN { exit !(r != "" && r + 0 >= 10) }'; then ktest_pass mmap-10x-cheaper
else ktest_fail mmap-10x-cheaper "ioctl get / mmap read = '$ratio'"; fi

# Burst accounting, exact: B = RING-1, RING, RING+1, 2*RING with the reader
# stopped; dropped = max(0, B - RING) in the records' `dropped` fields and in
# /proc/kbridge, also when the lagging reader closes without reading.
expect_eq burst-rows "$(grep -o '"burst":[0-9]*,"reader"' /tmp/b85.json | wc -l | tr -d ' ')" 8
bad=$(grep -o '{"burst":[0-9]*,"reader":"read"[^}]*"ok":false}' /tmp/b85.json)
expect_eq burst-read-exact "$bad" ""
bad=$(grep -o '{"burst":[0-9]*,"reader":"close"[^}]*"ok":false}' /tmp/b85.json)
expect_eq burst-close-counted "$bad" ""
check burst-correct grep -q '"correct":true' /tmp/b85.json

# The human table fits 80 columns.
wide=$(kbridge bench -n 10 -k 2 --events 100 --latency-samples 5 2>&1 | awk '{ gsub(/…/, "."); if (length($0) > 80) print }')
expect_eq table-80-columns "$wide" ""
unload_module
exit 0
