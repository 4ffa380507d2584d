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
# Arguments are passed on to onem2m-cse.
set -eu

secrets="${SECRETS_DIR:-/run/secrets}"

# radius_psk_password: the password the CSE sends when it asks RADIUS for a PSK.
if [ -r "$secrets/radius_psk_password" ]; then
    CSE_PLUGIN_RADIUS_PSK_PASSWORD="$(head -n 1 "$secrets/radius_psk_password")"
    export CSE_PLUGIN_RADIUS_PSK_PASSWORD
fi

exec "${CSE_BIN:-onem2m-cse}" --config "${CSE_CONFIG:-/etc/cssf/cse.ini}" "$@"
