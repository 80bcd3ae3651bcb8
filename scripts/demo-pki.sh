#!/usr/bin/env bash
# Regenerates the demo PKI in src/net/pki/ with the openssl command line (OpenSSL 3).
#
#   bipscope demo CA         (ca.der, ca.key.der)        self-signed, trusted by everyone
#   ras-1.operator.example   (ras-1.der, ras-1.key.der)   a server, issued by the demo CA
#   ras-2.operator.example   (ras-2.der, ras-2.key.der)   a server, issued by the demo CA
#   gateway.phone.example    (gateway.der, gateway.key.der) the phone's gateway, issued by the demo CA
#   bipscope rogue CA        (rogue-ca.der)              self-signed, trusted by no one
#   rogue                    (rogue.der, rogue.key.der)  claims "ras-1.operator.example", issued by the rogue CA
#
# Every key is Ed25519 (PKCS#8 DER), so every signature is deterministic. Every certificate
# is X.509 v3, valid from 2024-01-01 00:00:00 UTC for 100 years (the end date is written as
# GeneralizedTime, as RFC 5280 §4.1.2.5 requires after 2049). Leaves carry their name as
# subject CN and as a dNSName subject alternative name, and both TLS usages (serverAuth,
# clientAuth), so any identity can stand on either side of a connection.
#
# Keys are fresh on every run: the certificates change, the tests do not (they only use names).
# Usage: scripts/demo-pki.sh   (from anywhere; writes into src/net/pki/)
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/src/net/pki"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# ca.cnf reads the leaf name from the environment; CA steps need some value there.
export LEAF_NAME=unused
start=20240101000000Z
end=21240101000000Z

cat > ca.cnf <<'CNF'
[ca]
default_ca = demo

[demo]
dir = .
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
default_md = default
policy = anything
unique_subject = no
copy_extensions = none

[anything]
commonName = supplied

[req]
distinguished_name = dn
prompt = no

[dn]

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:${ENV::LEAF_NAME}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# ca NAME "COMMON NAME": a self-signed CA certificate NAME.der and its key NAME.key.pem.
ca() {
  : > index.txt; echo 01 > serial
  openssl genpkey -algorithm ed25519 -out "$1.key.pem"
  openssl req -new -config ca.cnf -key "$1.key.pem" -subj "/CN=$2" -out "$1.csr"
  openssl ca -batch -config ca.cnf -selfsign -keyfile "$1.key.pem" \
    -in "$1.csr" -out "$1.pem" -extensions ca_ext -startdate $start -enddate $end -notext
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

# leaf NAME "DNS NAME" ISSUER: a certificate NAME.der for DNS NAME issued by ISSUER, and its
# key NAME.key.der (PKCS#8).
leaf() {
  openssl genpkey -algorithm ed25519 -out "$1.key.pem"
  openssl pkey -in "$1.key.pem" -outform DER -out "$1.key.der"
  openssl req -new -config ca.cnf -key "$1.key.pem" -subj "/CN=$2" -out "$1.csr"
  LEAF_NAME="$2" openssl ca -batch -config ca.cnf -cert "$3.pem" -keyfile "$3.key.pem" \
    -in "$1.csr" -out "$1.pem" -extensions leaf_ext -startdate $start -enddate $end -notext
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

ca ca "bipscope demo CA"
leaf ras-1 ras-1.operator.example ca
leaf ras-2 ras-2.operator.example ca
leaf gateway gateway.phone.example ca
ca rogue-ca "bipscope rogue CA"
leaf rogue ras-1.operator.example rogue-ca

mkdir -p "$out"
cp ca.der ras-1.der ras-1.key.der ras-2.der ras-2.key.der gateway.der gateway.key.der \
  rogue-ca.der rogue.der rogue.key.der "$out/"
echo "demo PKI written to $out"
