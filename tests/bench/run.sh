#!/usr/bin/env bash
# HTTP benchmark of onem2m-cse against a bare libmicrohttpd responder.
#
# usage: tests/bench/run.sh BUILD_DIR [SECONDS] [create]
#
# One run: the MHD ceiling (bench_mhd_ceiling), then the CSE started with
# --insecure, then (when BUILD_DIR/plugin/cssf.so exists) the CSE with the
# CSSF plugin. Each CSE gets an AE, a container and 1,000 contentInstances,
# then wrk (2 threads) measures: GET CSEBase (32 connections), GET one
# contentInstance (32 connections) and durable CREATE of contentInstances
# (16 connections, POST from a Lua script). Prints req/s, p50/p99 latency,
# the ratio to the ceiling and the CSE's RSS before and after. With node and
# tests/as/node_modules, a last CSE round with cssf.so and a tokens policy
# measures the ACP-governed GET with a bearer JWT (ES256, signed here by
# tests/as/sign.js with a key of a local JWK set: no AS runs). Not run by ctest.
# RADIUS authentication/accounting figures: tests/bench/radius_bench.sh BUILD_DIR.
# With "create" as third argument only the durable CREATE of the --insecure
# CSE runs between the two ceilings (a quicker round for commit work).
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR [SECONDS] [create]}
secs=${2:-5}
only=${3:-}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
cse_bin=$build/cse/onem2m-cse
ceiling_bin=$build/tests/bench/bench_mhd_ceiling
cssf=$build/plugin/cssf.so
command -v wrk >/dev/null || { echo "run.sh: wrk is not installed (tools/install-deps.sh)"; exit 1; }
[ -x "$cse_bin" ] && [ -x "$ceiling_bin" ] || { echo "run.sh: build $build first"; exit 1; }

work=$(mktemp -d /tmp/cse-bench.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# start NAME CMD...: runs CMD in the background, waits for its listening line.
start() {
    local name=$1
    shift
    # cwd = the work directory: whatever the process writes stays there.
    (cd "$work" && exec "$@") >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    for _ in $(seq 200); do
        url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/$name.out")
        [ -n "$url" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "run.sh: $name did not start:"
    cat "$work/$name.err"
    exit 1
}

stop() {
    kill "$pid"
    wait "$pid" || true
    [ -n "${CSE_GATHER_DEBUG:-}" ] && { grep -h COMMITSTATS "$work"/*.err || true; }
    pid=""
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

# measure LABEL CONNECTIONS PATH [LUA]: one wrk run, one raw result line
# "label|rps|p50_us|p99_us|requests|non2xx" in $work/results.
# measure LABEL CONNS PATH [LUA] [ORIGIN] [HEADER]: one wrk run (ORIGIN defaults to CAdmin).
measure() {
    local label=$1 conns=$2 path=$3 lua=${4:-} origin=${5:-CAdmin} header=${6:-}
    local args=(-t2 -c"$conns" -d"${secs}s" --latency)
    if [ -n "$lua" ]; then
        args+=(-s "$lua")
    else
        args+=(-H "X-M2M-Origin: $origin" -H "X-M2M-RI: bench" -H "X-M2M-RVI: 3"
            -H "Accept: application/json")
        [ -n "$header" ] && args+=(-H "$header")
    fi
    wrk "${args[@]}" "$url$path" >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out"; exit 1; }
    awk -v label="$label" '
        function us(v) { # wrk prints 456.00us, 1.23ms, 1.20s
            if (v ~ /us$/) return v + 0
            if (v ~ /ms$/) return v * 1000
            if (v ~ /s$/) return v * 1000000
            return v + 0
        }
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = us($2) }
        /^ +99%/ { p99 = us($2) }
        /Non-2xx/ { bad = $NF }
        /requests in/ { total = $1 }
        END { printf "%s|%.0f|%.0f|%.0f|%d|%d\n", label, rps, p50, p99, total, bad }
    ' "$work/wrk.out" >>"$work/results"
    tail -1 "$work/results" | awk -F'|' '{ printf "  %-34s %8s req/s\n", $1, $2 }'
}

# The table, with every rate against the mean of the two ceiling runs.
report() {
    echo
    awk -F'|' '
        { label[NR] = $1; rps[NR] = $2; p50[NR] = $3; p99[NR] = $4; tot[NR] = $5; bad[NR] = $6 }
        $1 ~ /^ceiling/ { csum += $2; cn++ }
        END {
            ceil = cn ? csum / cn : 0
            printf "%-34s %9s %9s %9s %7s %10s\n", "run", "req/s", "p50 us", "p99 us", "ratio", "non-2xx"
            for (i = 1; i <= NR; i++)
                printf "%-34s %9d %9d %9d %7.2f %10d\n", label[i], rps[i], p50[i], p99[i],
                    ceil ? rps[i] / ceil : 0, bad[i]
        }' "$work/results"
    [ -f "$work/rss" ] && cat "$work/rss"
    awk -F'|' '$6 > 0 { bad = 1 } END { if (bad) print "WARNING: some runs had non-2xx answers: their rates do not count" }' "$work/results"
}

# Creates benchAE/benchCnt with 1,000 contentInstances over one keep-alive connection.
prepare() {
    python3 - "$url" <<'EOF'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
def create(parent, ty, body, origin="CAdmin", rqi="prep"):
    conn.request("POST", parent, body=json.dumps(body),
                 headers={"X-M2M-Origin": origin, "X-M2M-RI": rqi, "X-M2M-RVI": "3",
                          "Content-Type": "application/json;ty=%d" % ty})
    r = conn.getresponse()
    data = r.read()
    if r.status != 201:
        sys.exit("prepare: %s %s -> %s %s" % (parent, ty, r.status, data[:200]))
    return json.loads(data) if data else None
create("/cse-in", 2, {"m2m:ae": {"rn": "benchAE", "api": "Nbench", "rr": False, "srv": ["3"]}},
       origin="Cbench")
# The container is governed by an ACP that lets the AE read: the non-admin
# GET below goes through a real ACP decision.
acp = create("/cse-in", 1, {"m2m:acp": {"rn": "benchAcp",
                                        "pv": {"acr": [{"acor": ["Cbench"], "acop": 63}]},
                                        "pvs": {"acr": [{"acor": ["CAdmin"], "acop": 63}]}}})
create("/cse-in/benchAE", 3, {"m2m:cnt": {"rn": "benchCnt", "acpi": [acp["m2m:acp"]["ri"]]}})
for i in range(1000):
    create("/cse-in/benchAE/benchCnt", 4, {"m2m:cin": {"rn": "cin%d" % i, "cnf": "text/plain:0",
                                                        "con": "%d" % i}}, rqi="p%d" % i)
EOF
}

cat >"$work/post_cin.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"m2m:cin":{"cnf":"text/plain:0","con":"21.5"}}'
wrk.headers["Content-Type"] = "application/json;ty=4"
wrk.headers["X-M2M-Origin"] = "CAdmin"
wrk.headers["X-M2M-RVI"] = "3"
local n = 0
request = function()
    n = n + 1
    wrk.headers["X-M2M-RI"] = "b" .. n
    return wrk.format()
end
EOF

# run_cse LABEL [--insecure] [plugin lines]: one full CSE round.
run_cse() {
    local label=$1 flag=$2 plugin=$3
    local dir=$work/$label
    mkdir -p "$dir"
    {
        printf '[http]\nlisten = 127.0.0.1\nport = 0\n'
        printf '[store]\npath = %s/cse.db\n' "$dir"
        printf '[log]\nlevel = warn\nfile = %s/cse.log\n' "$dir"
        printf '%b' "$plugin"
    } >"$dir/cse.ini"
    # shellcheck disable=SC2086
    start "cse-$label" "$cse_bin" --config "$dir/cse.ini" $flag
    prepare
    local before
    before=$(rss_kb)
    if [ "$only" != create ]; then
        measure "$label: GET CSEBase" 32 /cse-in
        measure "$label: GET contentInstance" 32 /cse-in/benchAE/benchCnt/cin500
        measure "$label: GET cin as AE via ACP" 32 /cse-in/benchAE/benchCnt/cin500 "" Cbench
    fi
    measure "$label: CREATE contentInstance" 16 /cse-in/benchAE/benchCnt "$work/post_cin.lua"
    local after
    after=$(rss_kb)
    echo "$label: RSS ${before} kB after preparing 1,000 contentInstances, ${after} kB after the runs" \
        >>"$work/rss"
    stop
}

# GET with a bearer JWT: a key of a local JWK set signs one token for the
# AE's subject, and the tokens policy trusts that set. Every request after
# the first takes the plugin's cached path (docs/oauth.md).
run_bearer() {
    local as=$src/tests/as dir=$work/bearer
    if [ ! -f "$cssf" ] || ! command -v node >/dev/null || [ ! -d "$as/node_modules" ]; then
        echo "bearer: skipped (needs $cssf, node and tests/as/node_modules)"
        return 0
    fi
    mkdir -p "$dir/policy/acps"
    (cd "$as" && echo '{"genkey":"ES256"}' | node sign.js) >"$dir/key.json"
    python3 - "$src/policies/cssf.json" "$dir" <<'EOF'
import json, sys, time
policy, d = sys.argv[1], sys.argv[2]
key = json.load(open(d + "/key.json"))
pub = {k: v for k, v in key.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
main = json.load(open(policy))
main["tokens"] = {"issuer": "https://as.bench.invalid", "audience": "urn:onem2m:cse",
                  "jwks": {"keys": [pub]}, "subjects": {"bench-sensor": ["Cbench"]}}
json.dump(main, open(d + "/policy/cssf.json", "w"))
now = int(time.time())
json.dump({"jwk": key, "header": {"typ": "at+jwt"},
           "payload": {"iss": "https://as.bench.invalid", "sub": "bench-sensor",
                       "aud": "urn:onem2m:cse", "iat": now, "exp": now + 3600,
                       "jti": "bench", "scope": "cse.read"}}, open(d + "/sign.json", "w"))
EOF
    local token
    token=$(cd "$as" && node sign.js <"$dir/sign.json")
    {
        printf '[http]\nlisten = 127.0.0.1\nport = 0\n'
        printf '[store]\npath = %s/cse.db\n' "$dir"
        printf '[log]\nlevel = warn\nfile = %s/cse.log\n' "$dir"
        printf '[plugin]\npath = %s\npolicy_dir = %s/policy\n' "$cssf" "$dir"
        printf 'authentication = optional\ntrust_claimed_admin = true\n'
    } >"$dir/cse.ini"
    start cse-bearer "$cse_bin" --config "$dir/cse.ini"
    prepare
    measure "cssf: GET cin with bearer JWT" 32 /cse-in/benchAE/benchCnt/cin500 "" Cbench \
        "Authorization: Bearer $token"
    stop
}

echo "onem2m-cse HTTP benchmark: wrk -t2, ${secs}s per run, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
ceiling() {
    start ceiling "$ceiling_bin"
    measure "ceiling: bare MHD GET ($1)" 32 /cse-in
    stop
}

ceiling first
run_cse insecure --insecure ""
if [ "$only" = create ]; then
    :
elif [ -f "$cssf" ]; then
    run_cse cssf "" "[plugin]\npath = $cssf\npolicy_dir = $src/policies\nauthentication = optional\ntrust_claimed_admin = true\n"
else
    echo "cssf: skipped ($cssf not built)"
fi
[ "$only" = create ] || run_bearer
ceiling last
report
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work on these cores skews every figure)"
