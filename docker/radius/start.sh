#!/bin/sh
# Runs the testbed's FreeRADIUS: renders radiusd.conf.in and users.in from
# this directory into RADIUS_DIR with the secrets of SECRETS_DIR, then runs
# `freeradius -f` in the foreground (logging to stdout).
#   start.sh           render and run
#   start.sh --check   render and check the configuration (freeradius -C)
# Used as is by docker-compose (service radius) and tests/testbed/run.sh.
#
# Environment (defaults are the container's):
#   RADIUS_DIR        working directory (config, detail file)  /tmp/cssf-radius
#   RADIUS_LISTEN     address to listen on                      *
#   RADIUS_AUTH_PORT  authentication port                       1812
#   RADIUS_ACCT_PORT  accounting port                           1813
#   RADIUS_CLIENT_NET address or network of the CSE             127.0.0.1
#   SECRETS_DIR       radius_secret, radius_psk_password, psk_coap_aaa  /run/secrets
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
dir="${RADIUS_DIR:-/tmp/cssf-radius}"
secrets="${SECRETS_DIR:-/run/secrets}"

secret_of() {
    v="$(head -n 1 "$secrets/$1")"
    # Only plain tokens go into the configuration (no quoting surprises).
    case "$v" in
    "" | *[!A-Za-z0-9._-]*)
        echo "start.sh: secret $1 must be letters, digits, '.', '_' or '-'" >&2
        exit 2
        ;;
    esac
    printf '%s' "$v"
}

secret="$(secret_of radius_secret)"
psk_password="$(secret_of radius_psk_password)"
psk_coap_aaa="$(secret_of psk_coap_aaa)"

umask 077
mkdir -p "$dir/log" "$dir/run" "$dir/radacct"
render() {
    sed -e "s|@DIR@|$dir|g" \
        -e "s|@LISTEN@|${RADIUS_LISTEN:-*}|g" \
        -e "s|@AUTH_PORT@|${RADIUS_AUTH_PORT:-1812}|g" \
        -e "s|@ACCT_PORT@|${RADIUS_ACCT_PORT:-1813}|g" \
        -e "s|@CLIENT_NET@|${RADIUS_CLIENT_NET:-127.0.0.1}|g" \
        -e "s|@SECRET@|$secret|g" \
        -e "s|@PSK_PASSWORD@|$psk_password|g" \
        -e "s|@PSK_COAP_AAA@|$psk_coap_aaa|g" \
        "$here/$1.in" >"$dir/$1"
}
render radiusd.conf
render users
: >"$dir/acct_users"

if [ "${1:-}" = "--check" ]; then
    exec freeradius -C -d "$dir"
fi
exec freeradius -f -l stdout -d "$dir"
