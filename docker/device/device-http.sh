#!/bin/sh
# A testbed sensor that writes readings over HTTPS with an OAuth bearer
# token: gets a token from the AS (client_credentials), registers its AE
# (once), creates its readings container linked to the testbed's ACP (once),
# then writes READINGS contentInstances and reads the latest back; a new
# token before the old one expires.
# Used as is by docker-compose (service device-http) and tests/testbed/run.sh.
#
# Environment:
#   CSE_URL        base URL of the CSE                    https://cse:8443
#   CA_FILE        CA of the CSE's certificate            /run/secrets/testbed_ca
#   AS_URL         the OAuth AS                           http://as:4000
#   CLIENT_ID      the sensor's client at the AS          sensor-http-1
#   CLIENT_SECRET_FILE  its secret (first line)           /run/secrets/as_sensor_http_1
#   CSE_RN         resource name of the CSEBase           cse-in
#   DEVICE_ORIGIN  the sensor's AE-ID (X-M2M-Origin)      Csensor-http-1
#   DEVICE_RN      resource name of its AE                sensor-http-1
#   READINGS       readings to write; 0 = forever          0
#   INTERVAL       seconds between readings               10
# Prints one line per step; exits non-zero on the first failure.
set -eu

url="${CSE_URL:-https://cse:8443}"
ca="${CA_FILE:-/run/secrets/testbed_ca}"
as_url="${AS_URL:-http://as:4000}"
client_id="${CLIENT_ID:-sensor-http-1}"
secret_file="${CLIENT_SECRET_FILE:-/run/secrets/as_sensor_http_1}"
rn="${CSE_RN:-cse-in}"
origin="${DEVICE_ORIGIN:-Csensor-http-1}"
ae="${DEVICE_RN:-sensor-http-1}"
readings="${READINGS:-0}"
interval="${INTERVAL:-10}"
seq=0

umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A token from the AS; the client secret goes to curl in a file, never on
# the command line. Sets $token and $token_until (seconds since the epoch).
get_token() {
    printf 'user = "%s:%s"\n' "$client_id" "$(head -n 1 "$secret_file")" >"$tmp/as.conf"
    # The AS may still be starting: up to 15 tries, 2 s apart.
    tries=0
    until curl -sS -K "$tmp/as.conf" -o "$tmp/token" -d grant_type=client_credentials \
        -d resource=urn:onem2m:cse "$as_url/token" 2>"$tmp/curl.err"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 15 ]; then
            echo "device-http: AS unreachable: $(cat "$tmp/curl.err")" >&2
            exit 1
        fi
        sleep 2
    done
    rm -f "$tmp/as.conf"
    token="$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$tmp/token")"
    ttl="$(sed -n 's/.*"expires_in":\([0-9]*\).*/\1/p' "$tmp/token")"
    [ -n "$token" ] || { echo "device-http: no token: $(cat "$tmp/token")" >&2; exit 1; }
    token_until=$(($(date +%s) + ${ttl:-60} / 2))
    echo "device-http: token for $client_id (expires in ${ttl:-?} s)"
}

# req METHOD PATH [TY BODY]: sets $status (HTTP), $rsc (oneM2M) and $body.
req() {
    seq=$((seq + 1))
    status="" rsc="" body=""
    [ "$(date +%s)" -lt "$token_until" ] || get_token
    printf 'header = "Authorization: Bearer %s"\n' "$token" >"$tmp/auth.conf"
    curl -sS -X "$1" -D "$tmp/headers" -o "$tmp/body" --cacert "$ca" -K "$tmp/auth.conf" \
        -H "X-M2M-Origin: $origin" -H "X-M2M-RI: $origin-$seq" -H "X-M2M-RVI: 3" \
        -H "Accept: application/json" \
        ${3:+-H "Content-Type: application/json;ty=$3"} ${4:+--data-binary "$4"} \
        "$url/$2" || return 0
    body="$(cat "$tmp/body")"
    status="$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$tmp/headers")"
    rsc="$(tr -d '\r' <"$tmp/headers" | sed -n 's/^[Xx]-[Mm]2[Mm]-[Rr][Ss][Cc]: *//p')"
}

# expect WHAT ACCEPTED...: fails unless the last response's rsc is one of ACCEPTED.
expect() {
    what="$1"
    shift
    for ok in "$@"; do
        if [ "$rsc" = "$ok" ]; then
            echo "device-http: $what: rsc=$rsc"
            return 0
        fi
    done
    echo "device-http: $what failed: HTTP ${status:-none} rsc=${rsc:-none} $body" >&2
    exit 1
}

get_token
# 4117/4105: already registered / already there (a restarted device).
req POST "$rn" 2 "{\"m2m:ae\":{\"rn\":\"$ae\",\"api\":\"Nsensor\",\"rr\":false,\"srv\":[\"3\"],\"acpi\":[]}}"
expect "register AE $origin" 2001 4105 4117
# The ACP that lets the dashboard read: its ri names it in acpi.
req GET "$rn/acpReadings"
expect "read ACP acpReadings" 2000
acp="$(printf '%s' "$body" | sed -n 's/^[^{]*{"m2m:acp":{[^}]*"ri":"\([^"]*\)".*/\1/p')"
[ -n "$acp" ] || { echo "device-http: no ri in $body" >&2; exit 1; }

req POST "$rn/$ae" 3 "{\"m2m:cnt\":{\"rn\":\"readings\",\"mni\":100,\"acpi\":[\"$acp\"]}}"
expect "create container readings" 2001 4105

n=0
while [ "$readings" -eq 0 ] || [ "$n" -lt "$readings" ]; do
    n=$((n + 1))
    value="$(awk -v n="$n" 'BEGIN { printf "%.1f", 20 + (n % 7) / 2 }')"
    req POST "$rn/$ae/readings" 4 "{\"m2m:cin\":{\"cnf\":\"text/plain:0\",\"con\":\"$value\"}}"
    expect "write reading $n ($value)" 2001
    req GET "$rn/$ae/readings/la"
    expect "read latest" 2000
    case "$body" in
    *"\"con\":\"$value\""*) ;;
    *) echo "device-http: latest reading is not $value: $body" >&2; exit 1 ;;
    esac
    [ "$readings" -ne 0 ] && [ "$n" -ge "$readings" ] && break
    sleep "$interval"
done
echo "device-http: $n reading(s) written and read back"
