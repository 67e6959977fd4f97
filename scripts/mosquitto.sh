#!/usr/bin/env bash
# Mosquitto for the guest: scripts/mosquitto.sh PKI_DIR prints a directory laid out
# like the guest's root (usr/sbin/mosquitto, usr/bin/mosquitto_{pub,sub,passwd}, the
# dynamic loader and exactly the shared libraries they need), built once into the
# cache by scripts/debroot.sh from KB_MOSQUITTO_PACKAGES (bookworm arm64, downloaded
# and unpacked, not installed). Also writes a fresh test PKI (CA, broker and client certificates, made
# with the host's openssl) into PKI_DIR (per lane: out/<lane>/pki), for the guest's
# /etc/kbridge-test.
. "$(dirname "$0")/lib.sh"
pki=${1:?usage: mosquitto.sh <pki-dir>}
bins="usr/sbin/mosquitto usr/bin/mosquitto_pub usr/bin/mosquitto_sub usr/bin/mosquitto_passwd"
# shellcheck disable=SC2086  # a list of paths
root=$("$KB_ROOT/scripts/debroot.sh" mosquitto "$KB_MOSQUITTO_PACKAGES" $bins) || exit 1

# Test PKI, in the caller's directory (the cached tree stays shared): a CA, the
# broker's certificate for 127.0.0.1/localhost, a client certificate, and a second
# CA the broker does not trust (the "wrong CA" case).
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
