#!/bin/sh
# Installs the OAuth Authorization Server of the end-to-end tests:
# Node.js (20 or later) and the npm packages locked in tests/as/package-lock.json
# (oidc-provider), into tests/as/node_modules. Called by install-deps.sh.
# Idempotent: does nothing when node_modules matches the lock file.
set -eu

dir="$(cd "$(dirname "$0")/../tests/as" && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "install-as-deps: installing nodejs npm"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "install-as-deps: oidc-provider 9 needs Node.js 20 or later (found $(node --version));" \
        "the OAuth end-to-end tests will be skipped" >&2
    exit 0
fi

# A stamp newer than the lock file means the last npm ci installed it.
stamp="$dir/node_modules/.cssf-installed"
if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then
    exit 0
fi
echo "install-as-deps: npm ci in tests/as"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
touch "$stamp"
