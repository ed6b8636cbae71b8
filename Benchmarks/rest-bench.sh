#!/usr/bin/env bash
# REST API benchmark of `pegasus-em server` (issue 2): requests/s on loopback with keep-alive for
#   1. GET of one workflow     (GET /ensembles/bench/workflows/seed)
#   2. POST of new workflows   (POST /ensembles/bench/workflows, form-encoded as the Pegasus client sends,
#                               every request a unique name; each one is a committed SQLite transaction)
#
# Usage: Benchmarks/rest-bench.sh [-b BINARY] [-d SECONDS] [-c CONNECTIONS] [-t THREADS]
#   -b  the pegasus-em binary (default: .build/release/pegasus-em; build it with
#       `swift build -c release --product pegasus-em`)
#   -d  duration of each run in seconds (default 10)
#   -c  concurrent keep-alive connections (default 16)
#   -t  wrk threads (default 2)
# Needs wrk (`apt-get install -y wrk`), curl and python3. The server runs with a throwaway HOME (its own
# ~/.pegasus/service.py and store, NoAuthentication) on a free port, and is stopped and removed at the end.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
binary="$root/.build/release/pegasus-em"
duration=10
connections=16
threads=2
while getopts "b:d:c:t:h" opt; do
    case "$opt" in
    b) binary="$OPTARG" ;;
    d) duration="$OPTARG" ;;
    c) connections="$OPTARG" ;;
    t) threads="$OPTARG" ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
    esac
done

for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "rest-bench: $tool is required" >&2; exit 2; }
done
[ -x "$binary" ] || { echo "rest-bench: no executable $binary (swift build -c release --product pegasus-em)" >&2; exit 2; }

home="$(mktemp -d /tmp/pegasus-em-bench-XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$home"
}
trap cleanup EXIT

mkdir -p "$home/.pegasus" "$home/work"
cat >"$home/.pegasus/service.py" <<'EOF'
AUTHENTICATION = 'NoAuthentication'
EM_ALLOW_ROOT = True
EM_PORT = 0
EOF

HOME="$home" "$binary" server >"$home/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 300); do
    port="$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$home/server.log" | head -1)"
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$home/server.log" >&2; exit 1; }
    sleep 0.05
done
[ -n "$port" ] || { echo "rest-bench: the server did not start" >&2; cat "$home/server.log" >&2; exit 1; }
base="http://127.0.0.1:$port"

# Seed: one ensemble, paused so the scheduler plans nothing while we measure the API, and one workflow.
curl -sf -o /dev/null -d name=bench "$base/ensembles"
curl -sf -o /dev/null -d state=PAUSED "$base/ensembles/bench"
curl -sf -o /dev/null --data-urlencode name=seed --data-urlencode "basedir=$home/work" \
    --data-urlencode 'plan_command="/bin/true" "seed"' "$base/ensembles/bench/workflows"

cat >"$home/post.lua" <<EOF
-- Each request submits a workflow with a unique name: w<thread>-<n>.
local counter = 0
local threads = {}

function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
    table.insert(threads, thread)
end

function init(args)
    n = 0
    created = 0
    other = 0
end

function request()
    n = n + 1
    local body = "name=w" .. tid .. "-" .. n .. "&priority=" .. (n % 10)
        .. "&basedir=$home/work&plan_command=%22%2Fbin%2Ftrue%22+%22" .. n .. "%22"
    return wrk.format("POST", "/ensembles/bench/workflows",
        {["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json"}, body)
end

function response(status, headers, body)
    if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
    local c, o = 0, 0
    for _, t in ipairs(threads) do
        c = c + t:get("created")
        o = o + t:get("other")
    end
    io.write(string.format("201 Created: %d, other statuses: %d\n", c, o))
end
EOF

echo "== pegasus-em REST benchmark: $("$binary" --version 2>/dev/null || echo "$binary")"
echo "   $(nproc) cores, wrk -t$threads -c$connections -d${duration}s, keep-alive, loopback"
echo
echo "== GET one workflow: GET /ensembles/bench/workflows/seed"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -H "Accept: application/json" \
    "$base/ensembles/bench/workflows/seed"
echo
echo "== POST workflows: POST /ensembles/bench/workflows (unique names)"
wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$home/post.lua" "$base"
echo
stored="$(curl -sf "$base/ensembles/bench/workflows" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
echo "== workflows stored after the run: $stored (including the seed)"
echo "== server RSS: $(ps -o rss= -p "$server_pid" | awk '{printf "%.1f MB", $1/1024}')"
