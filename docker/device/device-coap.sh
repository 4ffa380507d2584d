#!/bin/sh
# A testbed sensor that writes readings over CoAP/DTLS (m2m-coap-client) with
# a pre-shared key or, when CERT_FILE is set, a client certificate: registers
# its AE (once), creates its readings container linked to the testbed's ACP
# (once), then writes READINGS contentInstances and reads the latest back.
# Where the CSE finds the key (device registry or RADIUS) or how it binds the
# certificate (registry, by SAN URI) is the CSE's business.
# Used as is by docker-compose (service device-coap) and tests/testbed/run.sh.
#
# Environment:
#   CSE_COAPS_URL  base URL of the CSE's DTLS listener     coaps://cse:5684
#   CSE_RN         resource name of the CSEBase            cse-in
#   PSK_IDENTITY   DTLS PSK identity                       coap-sensor-aaa
#   PSK_FILE       file whose first line is the key in hex /run/secrets/psk_coap_aaa
#   CERT_FILE, KEY_FILE  client certificate and key (PEM) instead of a PSK
#   CA_FILE        CA that the CSE's certificate must chain to (with CERT_FILE)
#   DEVICE_ORIGIN  the sensor's AE-ID (oneM2M-FR)          Csensor-coap-1
#   DEVICE_RN      resource name of its AE                 sensor-coap-1
#   READINGS       readings to write; 0 = forever           0
#   INTERVAL       seconds between readings                10
#   COAP_CLIENT    the client program                      m2m-coap-client
# Prints one line per step; exits non-zero on the first failure.
set -eu

url="${CSE_COAPS_URL:-coaps://cse:5684}"
rn="${CSE_RN:-cse-in}"
identity="${PSK_IDENTITY:-coap-sensor-aaa}"
psk_file="${PSK_FILE:-/run/secrets/psk_coap_aaa}"
origin="${DEVICE_ORIGIN:-Csensor-coap-1}"
ae="${DEVICE_RN:-sensor-coap-1}"
readings="${READINGS:-0}"
interval="${INTERVAL:-10}"
client="${COAP_CLIENT:-m2m-coap-client}"
# coap ARGS...: the client with the device's credentials.
if [ -n "${CERT_FILE:-}" ]; then
    : "${KEY_FILE:?KEY_FILE is needed with CERT_FILE}"
    ca="${CA_FILE:-/run/secrets/testbed_ca}"
    coap() { "$client" --cert "$CERT_FILE" --key "$KEY_FILE" --ca "$ca" "$@"; }
else
    key="0x$(head -n 1 "$psk_file")"
    coap() { "$client" -u "$identity" -k "$key" "$@"; }
fi

# req METHOD PATH [TY BODY]: sets $code (CoAP), $rsc (oneM2M) and $body.
req() {
    code="" rsc="" body=""
    out="$(coap -X "$1" -f "$origin" ${3:+-t "$3"} ${4:+-d "$4"} "$url/$2" 2>&1)" || true
    first="$(printf '%s\n' "$out" | sed -n 1p)"
    code="$(printf '%s\n' "$first" | sed -n 's/^code=\([0-9.]*\).*/\1/p')"
    rsc="$(printf '%s\n' "$first" | sed -n 's/.* rsc=\([0-9]*\).*/\1/p')"
    body="$(printf '%s\n' "$out" | sed 1d)"
    [ -n "$code" ] || body="$out"
}

expect() {
    what="$1"
    shift
    for ok in "$@"; do
        if [ "$rsc" = "$ok" ]; then
            echo "device-coap: $what: rsc=$rsc"
            return 0
        fi
    done
    echo "device-coap: $what failed: code=${code:-none} rsc=${rsc:-none} $body" >&2
    exit 1
}

req POST "$rn" 2 "{\"m2m:ae\":{\"rn\":\"$ae\",\"api\":\"Nsensor\",\"rr\":false,\"srv\":[\"3\"],\"acpi\":[]}}"
expect "register AE $origin" 2001 4105 4117
req GET "$rn/acpReadings"
expect "read ACP acpReadings" 2000
acp="$(printf '%s' "$body" | sed -n 's/^[^{]*{"m2m:acp":{[^}]*"ri":"\([^"]*\)".*/\1/p')"
[ -n "$acp" ] || { echo "device-coap: no ri in $body" >&2; exit 1; }
req POST "$rn/$ae" 3 "{\"m2m:cnt\":{\"rn\":\"readings\",\"mni\":100,\"acpi\":[\"$acp\"]}}"
expect "create container readings" 2001 4105

n=0
while [ "$readings" -eq 0 ] || [ "$n" -lt "$readings" ]; do
    n=$((n + 1))
    value="$(awk -v n="$n" 'BEGIN { printf "%.1f", 18 + (n % 5) / 2 }')"
    req POST "$rn/$ae/readings" 4 "{\"m2m:cin\":{\"cnf\":\"text/plain:0\",\"con\":\"$value\"}}"
    expect "write reading $n ($value)" 2001
    req GET "$rn/$ae/readings/la"
    expect "read latest" 2000
    case "$body" in
    *"\"con\":\"$value\""*) ;;
    *) echo "device-coap: latest reading is not $value: $body" >&2; exit 1 ;;
    esac
    [ "$readings" -ne 0 ] && [ "$n" -ge "$readings" ] && break
    sleep "$interval"
done
echo "device-coap: $n reading(s) written and read back"
