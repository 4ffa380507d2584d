#!/bin/sh
# Creates the testbed's secrets, one file each, in DIR (default: the
# directory of this script), and a 16-byte key psk_NAME for each extra
# NAME given (a new device):  generate.sh [DIR [psk_NAME...]]
# Existing files are kept, so the secrets stay stable across restarts;
# delete a file to get a new value.
#
# docker-compose mounts these files under /run/secrets/ (they are never
# copied into an image); tests/testbed/run.sh makes a fresh set in its own
# temporary directory. Values are hex, so they can go into any config file.
#
# Docker bind-mounts a secret with the host file's owner and mode and the
# containers run as their own users, so the files are readable by all and
# the directory is not (0700): only the host user can list or open them.
set -eu

dir="${1:-$(cd "$(dirname "$0")" && pwd)}"
[ $# -gt 0 ] && shift
mkdir -p "$dir"
chmod 0700 "$dir"

extra=""
for name in "$@"; do
    case "$name" in
    psk_[a-z0-9_]*) extra="$extra $name:16" ;;
    *)
        echo "generate.sh: '$name': device keys are named psk_ and lower-case letters, digits, _" >&2
        exit 2
        ;;
    esac
done

# name:bytes
for spec in \
    radius_secret:24 \
    radius_psk_password:24 \
    psk_coap_aaa:16 \
    psk_coap_reg:16 \
    psk_dashboard:16 \
    psk_retired:16 \
    as_sensor_http_1:24 $extra; do
    name="${spec%%:*}"
    bytes="${spec##*:}"
    file="$dir/$name"
    [ -s "$file" ] && continue
    umask 022
    od -An -tx1 -N"$bytes" /dev/urandom | tr -d ' \n' >"$file.new"
    echo >>"$file.new"
    mv "$file.new" "$file"
    echo "generate: $file"
done

# The CSE's certificate (EC P-256, for HTTPS and CoAP over DTLS) for the
# names the CSE has in the testbed (cse, localhost, 127.0.0.1), and client
# certificates for the sensor that authenticates with one (SAN URI
# urn:cssf:testbed:sensor-cert-1) and for the provisioning, an admin by the
# policy (urn:cssf:testbed:provisioner), all signed by a testbed CA whose
# key is thrown away once it has signed. Every side verifies with testbed_ca.
if [ ! -s "$dir/cse_tls_cert" ] || [ ! -s "$dir/cse_tls_key" ] || [ ! -s "$dir/testbed_ca" ] ||
    [ ! -s "$dir/sensor_cert_1_cert" ] || [ ! -s "$dir/sensor_cert_1_key" ] ||
    [ ! -s "$dir/provisioner_cert" ] || [ ! -s "$dir/provisioner_key" ]; then
    work="$(mktemp -d)"
    ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    # shellcheck disable=SC2086
    openssl req -x509 $ec -keyout "$work/ca.key" -out "$work/ca.pem" -days 825 \
        -subj "/CN=CSSF testbed CA" 2>/dev/null
    # shellcheck disable=SC2086
    openssl req $ec -keyout "$work/cse.key" -out "$work/cse.csr" -subj "/CN=cse" 2>/dev/null
    printf 'subjectAltName=DNS:cse,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
        >"$work/ext"
    openssl x509 -req -in "$work/cse.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
        -CAcreateserial -days 825 -extfile "$work/ext" -out "$work/cse.pem" 2>/dev/null
    # shellcheck disable=SC2086
    openssl req $ec -keyout "$work/dev.key" -out "$work/dev.csr" -subj "/CN=sensor-cert-1" 2>/dev/null
    printf 'subjectAltName=URI:urn:cssf:testbed:sensor-cert-1\nextendedKeyUsage=clientAuth\n' \
        >"$work/dext"
    openssl x509 -req -in "$work/dev.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
        -CAcreateserial -days 825 -extfile "$work/dext" -out "$work/dev.pem" 2>/dev/null
    # shellcheck disable=SC2086
    openssl req $ec -keyout "$work/prov.key" -out "$work/prov.csr" -subj "/CN=provisioner" 2>/dev/null
    printf 'subjectAltName=URI:urn:cssf:testbed:provisioner\nextendedKeyUsage=clientAuth\n' \
        >"$work/pext"
    openssl x509 -req -in "$work/prov.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
        -CAcreateserial -days 825 -extfile "$work/pext" -out "$work/prov.pem" 2>/dev/null
    umask 022
    mv "$work/cse.key" "$dir/cse_tls_key"
    chmod 0644 "$dir/cse_tls_key" # read by the container's user; the directory is 0700
    mv "$work/cse.pem" "$dir/cse_tls_cert"
    mv "$work/ca.pem" "$dir/testbed_ca"
    mv "$work/dev.key" "$dir/sensor_cert_1_key"
    chmod 0644 "$dir/sensor_cert_1_key"
    mv "$work/dev.pem" "$dir/sensor_cert_1_cert"
    mv "$work/prov.key" "$dir/provisioner_key"
    chmod 0644 "$dir/provisioner_key"
    mv "$work/prov.pem" "$dir/provisioner_cert"
    rm -rf "$work"
    echo "generate: $dir/cse_tls_cert (and cse_tls_key, testbed_ca, sensor_cert_1_*, provisioner_*)"
fi
