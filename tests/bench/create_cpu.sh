#!/usr/bin/env bash
# CPU and context switches per durable CREATE over HTTP.
#
# usage: tests/bench/create_cpu.sh BUILD_DIR [SECONDS] [STORE_PARENT_DIR]
#
# Starts onem2m-cse --insecure with its store under STORE_PARENT_DIR
# (default /tmp; /dev/shm takes the disk out and leaves the CPU path),
# creates an AE and a container, runs wrk (2 threads, 16 connections) with
# contentInstance CREATEs and prints: requests/s, p50/p99, the CSE's CPU
# time per CREATE, its context switches per CREATE (all threads) and the
# group commit's line (transactions per store commit, time per commit and
# gathering). Not run by ctest.
set -euo pipefail

build=$(cd "${1:?usage: create_cpu.sh BUILD_DIR [SECONDS] [STORE_PARENT_DIR]}" && pwd)
secs=${2:-5}
parent=${3:-/tmp}
command -v wrk >/dev/null || { echo "create_cpu.sh: wrk is not installed"; exit 1; }
work=$(mktemp -d "$parent/cse-create-cpu.XXXXXX")
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

printf '[http]\nlisten = 127.0.0.1\nport = 0\n[store]\npath = %s/cse.db\n[log]\nlevel = info\nfile = %s/cse.log\n' \
    "$work" "$work" >"$work/cse.ini"
(cd "$work" && exec "$build/cse/onem2m-cse" --config "$work/cse.ini" --insecure) >"$work/out" 2>"$work/err" &
pid=$!
url=""
for _ in $(seq 200); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/out")
    [ -n "$url" ] && break
    sleep 0.05
done
[ -n "$url" ] || { cat "$work/err"; exit 1; }

post() { # post PATH TY BODY
    curl -sf -o /dev/null -X POST -H 'X-M2M-Origin: CAdmin' -H 'X-M2M-RI: p' -H 'X-M2M-RVI: 3' \
        -H "Content-Type: application/json;ty=$2" -d "$3" "$url$1"
}
post /cse-in 2 '{"m2m:ae":{"rn":"benchAE","api":"Nbench","rr":false,"srv":["3"]}}'
post /cse-in/benchAE 3 '{"m2m:cnt":{"rn":"benchCnt"}}'
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"m2m:cin":{"cnf":"text/plain:0","con":"21.5"}}'
wrk.headers["Content-Type"] = "application/json;ty=4"
wrk.headers["X-M2M-Origin"] = "CAdmin"
wrk.headers["X-M2M-RVI"] = "3"
wrk.headers["X-M2M-RI"] = "b"
LUA

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
switches() {
    cat /proc/"$pid"/task/*/status | awk '/^(non)?voluntary_ctxt/ {n += $2} END {print n}'
}
hz=$(getconf CLK_TCK)
t0=$(ticks)
s0=$(switches)
wrk -t2 -c16 -d"${secs}s" --latency -s "$work/post.lua" "$url/cse-in/benchAE/benchCnt" >"$work/wrk.out"
t1=$(ticks)
s1=$(switches)
kill "$pid"
wait "$pid" || true
pid=""
awk -v t="$((t1 - t0))" -v s="$((s1 - s0))" -v hz="$hz" '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /requests in/ { n = $1 }
    END {
        printf "%.0f creates/s, p50 %s, p99 %s; CSE CPU %.0f us and %.1f context switches per create\n",
            rps, p50, p99, n ? t * 1e6 / hz / n : 0, n ? s / n : 0
    }' "$work/wrk.out"
grep -h "commit:" "$work/cse.log" | sed 's/.*info //' || true
