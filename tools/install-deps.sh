#!/bin/sh
# Installs every Debian package the project needs to build, test and run.
# Idempotent: packages already present are skipped, so repeated runs are fast.
# Used by the Makefile, .ci/run and docker/Dockerfile.
#   install-deps.sh              build, test and documentation packages
#   install-deps.sh --build-only what the build needs (docker/Dockerfile, build stage)
#   install-deps.sh --runtime    only what the installed programs need at run time
#                                (docker/Dockerfile, runtime stage)
set -eu

BUILD_PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
libmicrohttpd-dev libsqlite3-dev libjansson-dev libinih-dev libmbedtls-dev \
libgnutls28-dev libcmocka-dev libcurl4-openssl-dev python3 liboauth2-dev libcjose-dev"
TEST_PKGS="curl wrk valgrind openssl libcoap3-bin freeradius freeradius-utils \
docker-compose graphviz"
# Shared libraries of onem2m-cse, cssf.so and tools/* (tests/e2e/test_testbed_docker.py
# checks this list against what the built programs link; libcurl4 for cssfctl), curl for
# health checks.
RUNTIME_PKGS="libmicrohttpd12 libjansson4 libsqlite3-0 libinih1 libgnutls30 libmbedtls14 \
libmbedx509-1 libmbedcrypto7 libcurl4 liboauth2-0 curl ca-certificates"

case "${1:-}" in
--build-only) want="$BUILD_PKGS" ;;
--runtime) want="$RUNTIME_PKGS" ;;
*) want="$BUILD_PKGS $TEST_PKGS" ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "install-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The OAuth Authorization Server of the end-to-end tests (Node.js, npm ci in tests/as).
[ -n "${1:-}" ] || "$(dirname "$0")/install-as-deps.sh"
