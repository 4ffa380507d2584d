#!/bin/sh
# Installs every Debian package the project needs to build, test and run.
# Idempotent: packages already present are skipped, so repeated runs are fast.
# Used by the Makefile, .ci/run and docker/Dockerfile (build stage).
set -eu

BUILD_PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
libmicrohttpd-dev libsqlite3-dev libjansson-dev libinih-dev libmbedtls-dev \
libgnutls28-dev libcmocka-dev"
TEST_PKGS="curl wrk valgrind python3 openssl libcoap3-bin freeradius freeradius-utils"

want="$BUILD_PKGS"
[ "${1:-}" = "--build-only" ] || want="$want $TEST_PKGS"

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
