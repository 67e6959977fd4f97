#!/usr/bin/env bash
# Compiles docs/syzkaller/kbridge.txt with syzkaller's own description compiler
# (syz-sysgen) for every architecture. Not part of `make test`: it needs a
# syzkaller checkout that still vendors its Go modules (commit a44b0418a of
# January 2025 is the last one; this machine can't reach proxy.golang.org) and
# Go 1.22+ (bookworm-backports: golang-1.23-go).
#   scripts/syzkaller-check.sh /path/to/syzkaller
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
syz=${1:-}
[ -n "$syz" ] && [ -d "$syz/sys/linux" ] && [ -d "$syz/vendor" ] || {
    echo "SKIP syzkaller-check: give a syzkaller checkout with vendor/ (e.g. commit a44b0418a)" >&2; exit 77; }
go=$(command -v go || true); [ -x /usr/lib/go-1.23/bin/go ] && go=/usr/lib/go-1.23/bin/go
[ -n "$go" ] || { echo "SKIP syzkaller-check: no Go toolchain (apt-get install -t bookworm-backports golang-1.23-go)" >&2; exit 77; }
cp "$root/docs/syzkaller/kbridge.txt" "$root/docs/syzkaller/kbridge.txt.const" "$syz/sys/linux/"
cd "$syz"
GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local "$go" run ./sys/syz-sysgen
n=$(grep -o 'Name:"[a-z_]*\$[A-Za-z_]*kbridge[A-Za-z_]*"\|Name:"[a-z_]*\$KBRIDGE[A-Z_]*"' sys/linux/gen/arm64.go | sort -u | wc -l)
echo "syz-sysgen: kbridge.txt compiles for every architecture; $n kbridge calls on arm64"
[ "$n" -gt 0 ]
