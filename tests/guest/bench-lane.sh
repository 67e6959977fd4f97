# `make bench` (scripts/bench.sh) runs this file alone; it is not part of the test
# glob (t*.sh, r*.sh). The full `kbridge bench` (it attaches the BPF program itself
# for the BPF rows and ring events, after the get/set rows, and detaches it): its
# table as BENCH: lines, its JSON as one BENCH-JSON: line. Only errors fail here.
. ./lib.sh
load_module || { ktest_fail load "insmod failed"; exit 0; }
kbridge bench --save /tmp/bench.json >/tmp/bench.txt 2>/tmp/bench.err; rc=$?
sed 's/^/BENCH: /' /tmp/bench.txt
sed 's/^/BENCH: /' /tmp/bench.err
echo "BENCH-JSON: $(cat /tmp/bench.json 2>/dev/null)"
expect_eq bench-exit "$rc" 0
unload_module
exit 0
