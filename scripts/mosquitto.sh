#!/usr/bin/env bash
# Mosquitto for the guest: scripts/mosquitto.sh PKI_DIR prints a directory laid out
# like the guest's root (usr/sbin/mosquitto, usr/bin/mosquitto_{pub,sub,passwd}, the
# dynamic loader and exactly the shared libraries they need), built once into the
# cache. The packages (KB_MOSQUITTO_PACKAGES, bookworm arm64) are fetched with
# apt-get download through a private apt state dir and unpacked with dpkg-deb:
# nothing is installed, the host's apt configuration is not used. Also writes a fresh test PKI (CA, broker and client certificates, made
# with the host's openssl) into PKI_DIR (per lane: out/<lane>/pki), for the guest's
# /etc/kbridge-test.
. "$(dirname "$0")/lib.sh"
pki=${1:?usage: mosquitto.sh <pki-dir>}
dir="$KB_CACHE/mosquitto"
root="$dir/root"
bins="usr/sbin/mosquitto usr/bin/mosquitto_pub usr/bin/mosquitto_sub usr/bin/mosquitto_passwd"
stamp="$dir/.packages"
# One fetch at a time (lanes may build their initramfs in parallel).
mkdir -p "$KB_CACHE"; exec 9>"$KB_CACHE/mosquitto.lock"; flock 9
if [ "$(cat "$stamp" 2>/dev/null)" != "$KB_MOSQUITTO_PACKAGES" ]; then
    kb_log "fetching mosquitto for the guest (unpacked, not installed)"
    rm -rf "$dir"; mkdir -p "$dir/debs" "$dir/all"
    # A private apt state dir for bookworm arm64 (as scripts/fetch-latest-source.sh does
    # for sid): the system's sources, lists and dpkg status are untouched.
    A="$KB_CACHE/apt-bookworm-arm64"
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
    ( cd "$dir/debs" && timeout 300 apt-get -q "${apt_opts[@]}" download $KB_MOSQUITTO_PACKAGES > "$dir/download.log" 2>&1 ) \
        || kb_die "apt-get download of the mosquitto packages failed: $(tail -1 "$dir/download.log")"
    for d in "$dir"/debs/*.deb; do dpkg-deb -x "$d" "$dir/all"; done
    # The binaries, then the libraries they need (DT_NEEDED), transitively.
    mkdir -p "$root/lib/aarch64-linux-gnu"
    for b in $bins; do install -D -m 0755 "$dir/all/$b" "$root/$b"; done
    cp -L "$dir/all/lib/ld-linux-aarch64.so.1" "$root/lib/ld-linux-aarch64.so.1"
    todo=$bins; seen=" "
    while [ -n "$todo" ]; do
        next=
        for f in $todo; do
            for lib in $(readelf -d "$root/${f#/}" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
                case "$seen" in *" $lib "*) continue ;; esac
                seen="$seen$lib "
                src=$(find "$dir/all/lib/aarch64-linux-gnu" "$dir/all/usr/lib/aarch64-linux-gnu" -name "$lib" 2>/dev/null | head -1)
                [ -n "$src" ] || kb_die "mosquitto: $lib (needed by $f) is in none of the packages; add its package to KB_MOSQUITTO_PACKAGES"
                cp -L "$src" "$root/lib/aarch64-linux-gnu/$lib"
                next="$next lib/aarch64-linux-gnu/$lib"
            done
        done
        todo=$next
    done
    # glibc loads libgcc_s at run time (thread cancellation, unwinding): not a DT_NEEDED.
    cp -L "$dir/all/lib/aarch64-linux-gnu/libgcc_s.so.1" "$root/lib/aarch64-linux-gnu/"
    echo "$KB_MOSQUITTO_PACKAGES" > "$stamp"
fi

# Test PKI, in the caller's directory (the cached tree stays shared): a CA, the
# broker's certificate for 127.0.0.1/localhost, a client certificate, and a second
# CA the broker does not trust (the "wrong CA" case).
flock -u 9
rm -rf "$pki"; mkdir -p "$pki"
(
    cd "$pki"
    ossl() { openssl "$@" >/dev/null 2>&1 || kb_die "openssl $1 failed"; }
    ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kbridge test CA" -keyout ca.key -out ca.pem
    ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=untrusted CA" -keyout other-ca.key -out other-ca.pem
    ossl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout broker.key -out broker.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > broker.ext
    ossl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile broker.ext -out broker.pem
    ossl req -newkey rsa:2048 -nodes -subj "/CN=kbridge-agent" -keyout client.key -out client.csr
    printf "extendedKeyUsage=clientAuth\n" > client.ext  # an extension makes it X.509 v3 (webpki needs v3)
    ossl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out client.pem
    rm -f ./*.csr ./*.ext ./*.srl ca.key other-ca.key
    # The guest has no RTC driver and boots in 1970: the test sets its clock from this.
    date +%s > created
) || exit 1
echo "$root"
