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
#   SECRETS_DIR       radius_secret, radius_psk_password, psk_*   /run/secrets
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

umask 077
mkdir -p "$dir/log" "$dir/run" "$dir/radacct"
# The substitutions, in a file only this user can read (they hold secrets):
# every secret file psk_NAME becomes @PSK_NAME@ (upper case), so a new
# device needs only its key file and its entry in users.in.
script="$dir/render.sed"
trap 'rm -f "$script"' EXIT
{
    echo "s|@DIR@|$dir|g"
    echo "s|@LISTEN@|${RADIUS_LISTEN:-*}|g"
    echo "s|@AUTH_PORT@|${RADIUS_AUTH_PORT:-1812}|g"
    echo "s|@ACCT_PORT@|${RADIUS_ACCT_PORT:-1813}|g"
    echo "s|@CLIENT_NET@|${RADIUS_CLIENT_NET:-127.0.0.1}|g"
    echo "s|@SECRET@|$secret|g"
    echo "s|@PSK_PASSWORD@|$psk_password|g"
    for f in "$secrets"/psk_*; do
        [ -f "$f" ] || continue
        name="$(basename "$f" | tr 'a-z' 'A-Z')"
        echo "s|@$name@|$(secret_of "$(basename "$f")")|g"
    done
} >"$script"
sed -f "$script" "$here/radiusd.conf.in" >"$dir/radiusd.conf"
sed -f "$script" "$here/users.in" >"$dir/users"
rm -f "$script"
left="$(grep -v '^#' "$dir/users" | grep -o '@[A-Z0-9_]*@' | sort -u | tr '\n' ' ')" || true
if [ -n "$left" ]; then
    echo "start.sh: users.in names keys with no file in $secrets: $left" >&2
    exit 2
fi
: >"$dir/acct_users"

trap - EXIT
if [ "${1:-}" = "--check" ]; then
    exec freeradius -C -d "$dir"
fi
exec freeradius -f -l stdout -d "$dir"
