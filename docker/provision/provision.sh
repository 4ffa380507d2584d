#!/bin/sh
# One-shot provisioning of the testbed through the admin API with cssfctl:
# starts onem2m-cse on the serving CSE's store with provision.ini (HTTP on
# loopback, claimed CAdmin trusted), applies the testbed policy
# (cssfctl policy apply), enrols the devices of devices/*.json
# (cssfctl device add), lists them, and stops the CSE. Run before the serving CSE starts; it may run
# again (a device already there is replaced, so a new key takes effect).
# Used as is by docker-compose (service provision) and tests/testbed/run.sh.
#
# Environment (defaults are the container's):
#   DATA_DIR          the CSE's data directory (cse.db, master.key, policies/)  /var/lib/cssf
#   TESTBED_POLICIES  the policy to apply                          /etc/cssf/testbed-policies
#   DEFAULT_POLICIES  a valid policy to start from on first run    /etc/cssf/policies
#   SECRETS_DIR       psk_* key files                              /run/secrets
#   CSE_BIN, CSSFCTL, CSSF_PLUGIN  programs      onem2m-cse, cssfctl, /usr/local/lib/cse/plugins/cssf.so
#   PROVISION_PORT    loopback HTTP port of the provisioning CSE   8089
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
data="${DATA_DIR:-/var/lib/cssf}"
policies="${TESTBED_POLICIES:-/etc/cssf/testbed-policies}"
secrets="${SECRETS_DIR:-/run/secrets}"
cssfctl="${CSSFCTL:-cssfctl}"
port="${PROVISION_PORT:-8089}"

umask 077
tmp="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# The plugin needs a valid policy directory to start; the applied one
# replaces it below.
if [ ! -f "$data/policies/cssf.json" ]; then
    mkdir -p "$data/policies"
    cp "${DEFAULT_POLICIES:-/etc/cssf/policies}/cssf.json" "$data/policies/"
fi

CSE_HTTP_PORT="$port" CSE_STORE_PATH="$data/cse.db" CSE_PLUGIN_POLICY_DIR="$data/policies" \
    CSE_PLUGIN_AUDIT_FILE="$data/audit.log" \
    CSE_PLUGIN_PATH="${CSSF_PLUGIN:-/usr/local/lib/cse/plugins/cssf.so}" \
    "${CSE_BIN:-onem2m-cse}" --config "$here/provision.ini" >"$tmp/cse.out" 2>&1 &
pid=$!
i=0
until grep -q "listening on http://" "$tmp/cse.out"; do
    i=$((i + 1))
    if [ "$i" -gt 200 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "provision: onem2m-cse did not start:" >&2
        cat "$tmp/cse.out" >&2
        exit 1
    fi
    sleep 0.05
done
export CSSF_URL="http://127.0.0.1:$port" CSSF_ORIGIN=CAdmin

"$cssfctl" policy apply "$policies"
echo "provision: policy $policies applied"

# The device documents (devices/*.json, docs/registry.md) with each
# placeholder PSK_NAME (between @ signs) replaced by the secret file psk_name,
# in a file only this user can read. A device enrolled before is replaced,
# so a new key or AE-ID takes effect.
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
kill "$pid"
wait "$pid" || { echo "provision: onem2m-cse did not stop cleanly" >&2; exit 1; }
pid=""
echo "provision: done"
