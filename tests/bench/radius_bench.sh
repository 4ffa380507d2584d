#!/usr/bin/env bash
# AAA benchmark of the CSSF plugin against a real FreeRADIUS on loopback.
#
# usage: tests/bench/radius_bench.sh BUILD_DIR [SECONDS]
#
# Renders tests/radius/radiusd.conf.in and users.in (the e2e test server:
# files + pap, auth and accounting detail logs) on two free UDP ports,
# starts FreeRADIUS in the foreground and stops it by PID. Then:
#   1. bench_radius auth: cssf_aaa_check_password (PAP, result cache off)
#      from 1, 4 and 16 threads: checks/s, p50/p99.
#   2. bench_radius acct: 5,000 sessions (10,000 Start/Stop records) through
#      the durable queue: records/s acknowledged.
#   3. tests/bench/radius_register_https.py 8000: AE registrations over
#      HTTPS (4 curl processes, keep-alive) with HTTP Basic checked by its
#      own FreeRADIUS, cache off: registrations/s, p50/p99.
#   4. tests/bench/radius_acct_https.py: authorized GETs over HTTPS (curl
#      loops, client-certificate TLS sessions of 200 keep-alive requests,
#      its own FreeRADIUS) against the CSE with cssf.so, with and without
#      radius_acct_servers, alternating: the ratio of the medians.
# Not run by ctest.
set -euo pipefail

build=${1:?usage: radius_bench.sh BUILD_DIR [SECONDS]}
secs=${2:-5}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
bench=$build/tests/bench/bench_radius
radiusd=$(command -v freeradius || echo /usr/sbin/freeradius)
[ -x "$bench" ] || { echo "radius_bench.sh: build $build first"; exit 1; }
[ -x "$radiusd" ] || { echo "radius_bench.sh: freeradius is not installed"; exit 1; }

work=$(mktemp -d /tmp/cssf-radius-bench.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

secret=bench-radius-secret
auth_port=$(free_udp_port)
acct_port=$(free_udp_port)
mkdir -p "$work/log" "$work/run" "$work/radacct"
: >"$work/acct_users"
for f in radiusd.conf users; do
    sed -e "s|@DIR@|$work|g" -e "s|@AUTH_PORT@|$auth_port|g" -e "s|@ACCT_PORT@|$acct_port|g" \
        -e "s|@SECRET@|$secret|g" -e "s|@USER_PASSWORD@|alice-pw-1|g" \
        -e "s|@TUNNEL_PASSWORD@|00112233445566778899aabbccddeeff|g" \
        -e "s|@PSK_PASSWORD@|psk-lookup-pw|g" \
        -e "s|@DEVICE_PSK_HEX@|a1b2c3d4e5f60718293a4b5c6d7e8f90|g" \
        -e "s|^max_requests = .*|max_requests = 262144|" \
        "$src/tests/radius/$f.in" >"$work/$f"
done

"$radiusd" -f -l stdout -d "$work" >"$work/freeradius.out" 2>&1 &
pid=$!
for _ in $(seq 300); do
    grep -q "Ready to process requests" "$work/freeradius.out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/freeradius.out"; exit 1; }
    sleep 0.05
done
grep -q "Ready to process requests" "$work/freeradius.out" || { echo "freeradius did not start"; exit 1; }

echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in 1 4 16; do
    "$bench" auth "127.0.0.1:$auth_port:$secret" alice alice-pw-1 "$t" "$secs"
done
"$bench" acct "127.0.0.1:$acct_port:$secret" "$work/acct.db" 5000
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

kill "$pid"
wait "$pid" || true
pid=""

if command -v curl >/dev/null; then
    CSE_BUILD_DIR=$build CSE_SOURCE_DIR=$src python3 "$src/tests/bench/radius_register_https.py" 8000
    CSE_BUILD_DIR=$build CSE_SOURCE_DIR=$src python3 "$src/tests/bench/radius_acct_https.py" "$secs"
fi
