#!/bin/sh
# Starts onem2m-cse for the testbed: the plugin options that are secrets
# come from files in SECRETS_DIR (docker secrets) and reach the CSE as
# CSE_PLUGIN_<KEY> environment overrides, so no secret sits in cse.ini or
# in an image. Used as the image's entry point and by tests/testbed/run.sh.
#
# Environment:
#   CSE_BIN      the CSE program                       onem2m-cse (on PATH)
#   CSE_CONFIG   its configuration                     /etc/cssf/cse.ini
#   SECRETS_DIR  directory of secret files             /run/secrets
#   SEED_POLICIES   on first start, copy this policy (cssf.json, acps/) into
#   POLICY_DIR      the CSE's policy directory          /var/lib/cssf/policies
#                (later changes go through the admin API: cssfctl policy apply)
# Arguments are passed on to onem2m-cse.
set -eu

secrets="${SECRETS_DIR:-/run/secrets}"

# radius_psk_password: the password the CSE sends when it asks RADIUS for a PSK.
if [ -r "$secrets/radius_psk_password" ]; then
    CSE_PLUGIN_RADIUS_PSK_PASSWORD="$(head -n 1 "$secrets/radius_psk_password")"
    export CSE_PLUGIN_RADIUS_PSK_PASSWORD
fi

policy_dir="${POLICY_DIR:-/var/lib/cssf/policies}"
if [ -n "${SEED_POLICIES:-}" ] && [ ! -f "$policy_dir/cssf.json" ]; then
    mkdir -p "$policy_dir"
    cp "$SEED_POLICIES/cssf.json" "$policy_dir/"
    if [ -d "$SEED_POLICIES/acps" ]; then
        cp -R "$SEED_POLICIES/acps" "$policy_dir/"
    fi
    echo "cse-start: policy seeded from $SEED_POLICIES"
fi

exec "${CSE_BIN:-onem2m-cse}" --config "${CSE_CONFIG:-/etc/cssf/cse.ini}" "$@"
