#!/bin/sh
# Runs the CSSF testbed without docker (see testbed.py): the services of
# docker/docker-compose.yml on loopback, the scenario end to end, < 60 s.
#   tests/testbed/run.sh [BUILD_DIR]
#   tests/testbed/run.sh --serve [BUILD_DIR]   keep the services running (Ctrl-C stops them)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
mode=""
if [ "${1:-}" = "--serve" ]; then
    mode="--serve"
    shift
fi
export CSE_SOURCE_DIR="${CSE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
CSE_BUILD_DIR="$(cd "${1:-${CSE_BUILD_DIR:-$CSE_SOURCE_DIR/build}}" && pwd)"
export CSE_BUILD_DIR
exec python3 "$here/testbed.py" $mode
