#!/usr/bin/env bash
# Debian bookworm arm64 programs for the guest, unpacked, not installed:
#   scripts/debroot.sh NAME "PACKAGES" BINARY...
# prints a directory ($KB_CACHE/NAME/root) laid out like the guest's root: each BINARY
# (a path inside the packages, e.g. usr/sbin/bpftool), the dynamic loader and exactly the
# shared libraries they need (DT_NEEDED, transitively) plus libgcc_s. The PACKAGES are
# fetched with apt-get download through a private apt state dir and unpacked with
# dpkg-deb: nothing is installed, the host's apt configuration is not used. Built once;
# the tree is rebuilt when PACKAGES or the BINARY list change. Used by scripts/mosquitto.sh
# (KB_MOSQUITTO_PACKAGES) and scripts/initramfs.sh for bpftool (KB_BPFTOOL_PACKAGES).
. "$(dirname "$0")/lib.sh"
name=${1:?usage: debroot.sh <name> <packages> <binary>...}; packages=${2:?packages}; shift 2
[ $# -gt 0 ] || kb_die "debroot.sh $name: no binaries"
bins="$*"
dir="$KB_CACHE/$name"
root="$dir/root"
stamp="$dir/.packages"
want="$packages"
# The stamp is the package list alone when the binaries are mosquitto's (the cache
# written before this script existed stays valid); otherwise the list and the binaries.
[ "$name" = mosquitto ] || want="$packages | $bins"
# One fetch at a time (lanes may build their initramfs in parallel).
mkdir -p "$KB_CACHE"; exec 9>"$KB_CACHE/$name.lock"; flock 9
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    kb_log "fetching $name for the guest (unpacked, not installed)"
    rm -rf "$dir"; mkdir -p "$dir/debs" "$dir/all"
    # A private apt state dir for bookworm arm64 (as scripts/fetch-latest-source.sh does
    # for sid): the system's sources, lists and dpkg status are untouched. Shared by every
    # NAME, so it has a lock of its own.
    A="$KB_CACHE/apt-bookworm-arm64"
    exec 8>"$KB_CACHE/apt-bookworm-arm64.lock"; flock 8
    mkdir -p "$A/etc/sources.list.d" "$A/etc/preferences.d" "$A/state/lists/partial" "$A/cache/archives/partial"
    key="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
    printf 'deb [%s] %s bookworm main\ndeb [%s] %s bookworm-updates main\ndeb [%s] %s-security bookworm-security main\n' \
        "$key" "$KB_DEBIAN_MIRROR" "$key" "$KB_DEBIAN_MIRROR" "$key" "$KB_DEBIAN_MIRROR" > "$A/etc/sources.list"
    : > "$A/state/status"
    apt_opts=(-o "Dir::Etc=$A/etc" -o "Dir::Etc::sourcelist=$A/etc/sources.list"
              -o "Dir::Etc::sourceparts=$A/etc/sources.list.d" -o "Dir::Etc::preferencesparts=$A/etc/preferences.d"
              -o "Dir::State=$A/state" -o "Dir::State::status=$A/state/status" -o "Dir::Cache=$A/cache"
              -o "APT::Sandbox::User=root" -o "Acquire::Languages=none"
              -o "APT::Architecture=arm64" -o "APT::Architectures::=arm64")
    timeout 300 apt-get -q "${apt_opts[@]}" update > "$dir/update.log" 2>&1 \
        || kb_die "apt-get update of the private bookworm arm64 index failed: $(tail -1 "$dir/update.log")"
    # shellcheck disable=SC2086  # a list of package names
    ( cd "$dir/debs" && timeout 300 apt-get -q "${apt_opts[@]}" download $packages > "$dir/download.log" 2>&1 ) \
        || kb_die "apt-get download of the $name packages failed: $(tail -1 "$dir/download.log")"
    flock -u 8; exec 8>&-
    for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$dir/all"; done
    # The binaries, then the libraries they need (DT_NEEDED), transitively.
    mkdir -p "$root/lib/aarch64-linux-gnu"
    for b in $bins; do
        [ -f "$dir/all/$b" ] || kb_die "$name: $b is in none of the packages"
        install -D -m 0755 "$dir/all/$b" "$root/$b"
    done
    cp -L "$dir/all/lib/ld-linux-aarch64.so.1" "$root/lib/ld-linux-aarch64.so.1"
    todo=$bins; seen=" "
    while [ -n "$todo" ]; do
        next=
        for f in $todo; do
            for lib in $(readelf -d "$root/${f#/}" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
                case "$seen" in *" $lib "*) continue ;; esac
                seen="$seen$lib "
                src=$(find "$dir/all/lib/aarch64-linux-gnu" "$dir/all/usr/lib/aarch64-linux-gnu" -name "$lib" 2>/dev/null | head -1)
                [ -n "$src" ] || kb_die "$name: $lib (needed by $f) is in none of the packages; add its package to the list"
                cp -L "$src" "$root/lib/aarch64-linux-gnu/$lib"
                next="$next lib/aarch64-linux-gnu/$lib"
            done
        done
        todo=$next
    done
    # glibc loads libgcc_s at run time (thread cancellation, unwinding): not a DT_NEEDED.
    cp -L "$dir/all/lib/aarch64-linux-gnu/libgcc_s.so.1" "$root/lib/aarch64-linux-gnu/" \
        || kb_die "$name: no libgcc_s.so.1; add libgcc-s1:arm64 to the list"
    echo "$want" > "$stamp"
fi
flock -u 9
echo "$root"
