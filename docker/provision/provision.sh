#!/bin/sh
# One-shot provisioning of the testbed through the admin API of the running
# CSE with cssfctl over HTTPS: its client certificate (SAN URI
# urn:cssf:testbed:provisioner) is an admin identity of the policy. It
# applies the testbed policy (cssfctl policy apply), seals the RADIUS shared
# secret of every configured RADIUS server and the PSK-lookup password
# (cssfctl radius set-secret, from the secret files radius_secret and
# radius_psk_password), and enrols the devices of devices/*.json (cssfctl
# device add), then lists them. It may run again: a device enrolled
# before is replaced, so a new key or AE-ID takes effect.
# Used as is by docker-compose (service provision) and tests/testbed/run.sh.
#
# Environment (defaults are the container's):
#   CSSF_URL           the CSE's HTTPS listener          https://cse:8443
#   CSSF_CACERT        CA of the CSE's certificate       /run/secrets/testbed_ca
#   TESTBED_POLICIES   the policy to apply               /etc/cssf/testbed-policies
#   SECRETS_DIR        provisioner_cert, provisioner_key, psk_*, radius_* files
#                                                        /run/secrets
#   CSSFCTL            the program                       cssfctl
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
policies="${TESTBED_POLICIES:-/etc/cssf/testbed-policies}"
secrets="${SECRETS_DIR:-/run/secrets}"
cssfctl="${CSSFCTL:-cssfctl}"
export CSSF_URL="${CSSF_URL:-https://cse:8443}" CSSF_CACERT="${CSSF_CACERT:-/run/secrets/testbed_ca}"

umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The admin identity is the client certificate; the CSE may still be
# starting: up to 30 tries, 1 s apart.
export CSSF_CERT="${CSSF_CERT:-$secrets/provisioner_cert}" CSSF_KEY="${CSSF_KEY:-$secrets/provisioner_key}"
i=0
until "$cssfctl" device list --limit 1 >"$tmp/probe" 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge 30 ]; then
        echo "provision: no admin access to $CSSF_URL: $(cat "$tmp/probe")" >&2
        exit 1
    fi
    sleep 1
done
echo "provision: admin access to $CSSF_URL (client certificate)"

"$cssfctl" policy apply "$policies"
echo "provision: policy $policies applied"

# RADIUS: the servers the CSE is configured with (NAME ROLES ... table
# rows), each sealed with the shared secret; then the PSK-lookup password.
"$cssfctl" radius list >"$tmp/radius"
servers="$(awk 'NR > 1 && ($2 ~ /auth/ || $2 ~ /acct/) { print $1 }' "$tmp/radius")"
for name in $servers; do
    "$cssfctl" radius set-secret "$name" --secret-file "$secrets/radius_secret" >/dev/null
    echo "provision: RADIUS secret of $name sealed"
done
if grep -q '^psk-password ' "$tmp/radius"; then
    "$cssfctl" radius set-secret psk-password --secret-file "$secrets/radius_psk_password" \
        >/dev/null
    echo "provision: RADIUS PSK-lookup password sealed"
fi

# The device documents (devices/*.json, docs/registry.md) with each
# placeholder PSK_NAME (between @ signs) replaced by the secret file psk_name,
# in a file only this user can read.
n=0
for doc in "$here"/devices/*.json; do
    : >"$tmp/sed"
    for f in "$secrets"/psk_*; do
        [ -f "$f" ] || continue
        name="$(basename "$f" | tr 'a-z' 'A-Z')"
        printf 's|@%s@|%s|g\n' "$name" "$(head -n 1 "$f")" >>"$tmp/sed"
    done
    sed -f "$tmp/sed" "$doc" >"$tmp/device.json"
    if grep -q '@PSK_[A-Z0-9_]*@' "$tmp/device.json"; then
        echo "provision: $doc names a key with no file in $secrets" >&2
        exit 1
    fi
    id="$(sed -n 's/^ *"id": *"\([^"]*\)".*/\1/p' "$tmp/device.json")"
    if ! "$cssfctl" device add --file "$tmp/device.json" >"$tmp/add.out" 2>&1; then
        if grep -q "HTTP 409" "$tmp/add.out" && [ -n "$id" ]; then
            "$cssfctl" device rm "$id" >/dev/null
            "$cssfctl" device add --file "$tmp/device.json" >"$tmp/add.out"
        else
            cat "$tmp/add.out" >&2
            exit 1
        fi
    fi
    rm -f "$tmp/device.json" "$tmp/sed"
    echo "provision: device ${id:-$doc} enrolled"
    n=$((n + 1))
done
echo "provision: $n device(s) from $here/devices"

"$cssfctl" device list
echo "provision: done"
