#!/bin/sh
# Starts onem2m-cse for the testbed. No secret sits in cse.ini or in an
# image: the TLS key is a docker secret file; the RADIUS shared secret and
# PSK-lookup password are sealed in the CSE's store by the provision service
# (cssfctl radius set-secret). Used as the image's entry point and by
# tests/testbed/run.sh.
#
# Environment:
#   CSE_BIN      the CSE program                       onem2m-cse (on PATH)
#   CSE_CONFIG   its configuration                     /etc/cssf/cse.ini
#   SEED_POLICIES   on first start, copy this policy (cssf.json, acps/) into
#   POLICY_DIR      the CSE's policy directory          /var/lib/cssf/policies
#                (later changes go through the admin API: cssfctl policy apply)
# Arguments are passed on to onem2m-cse.
set -eu

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
