#!/usr/bin/env bash
# Wall time of `pegasus-em ensembles` against a running server (the CLI target: at most 20 ms median), and of the
# Pegasus 5.1.3 Python client doing the same, if a virtualenv with pegasus-wms is at $PEGASUS_VENV (/tmp/pegvenv).
#
#   Benchmarks/cli-bench.sh                 # builds the release binary, runs 100 timed runs each
#   RUNS=300 PEGASUS_EM_BIN=/path/pegasus-em Benchmarks/cli-bench.sh
#
# Uses hyperfine when installed (apt-get install -y hyperfine), else (or with NO_HYPERFINE=1) a bash loop over
# `date +%s%N`.
# Prints a Markdown table (median, mean, min, max in ms) for docs/PERFORMANCE.md.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-100}
ENSEMBLES=${ENSEMBLES:-5}
PEGASUS_VENV=${PEGASUS_VENV:-/tmp/pegvenv}

if [[ -z "${PEGASUS_EM_BIN:-}" ]]; then
    swift build -c release --product pegasus-em >&2
    PEGASUS_EM_BIN="$(swift build -c release --show-bin-path)/pegasus-em"
fi

work=$(mktemp -d /tmp/em-cli-bench.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A private home: its own service.py, store and master DB; no login; any free port.
mkdir -p "$work/.pegasus"
cat > "$work/.pegasus/service.py" <<'EOF'
AUTHENTICATION = 'NoAuthentication'
EM_ALLOW_ROOT = True
EM_PORT = 0
USERNAME = 'bench'
PASSWORD = 'bench'
EOF
export HOME="$work"
unset PEGASUS_ENV EM_HOST USERNAME PASSWORD || true

"$PEGASUS_EM_BIN" server > "$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 200); do
    port=$(sed -n 's|.*listening on http://[^:]*:\([0-9]*\).*|\1|p' "$work/server.log" | head -n 1)
    [[ -n "$port" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.05
done
[[ -n "$port" ]] || { echo "server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
export EM_PORT="$port"

for i in $(seq 1 "$ENSEMBLES"); do
    "$PEGASUS_EM_BIN" create "bench$i" -P 2 -R 3
done
"$PEGASUS_EM_BIN" ensembles > "$work/ours.txt"

# The Pegasus client's port is fixed to uid + 7919; point it at ours.
cat > "$work/pegasus-em.py" <<'EOF'
import os, sys
from Pegasus.service.ensembles import commands
commands.EM_PORT = int(os.environ["EM_PORT"])
commands.main()
EOF

declare -a names=("pegasus-em ensembles (Swift, release)")
declare -a commands=("$PEGASUS_EM_BIN ensembles")
if [[ -x "$PEGASUS_VENV/bin/python" ]]; then
    names+=("pegasus-em ensembles (Pegasus 5.1.3, Python)")
    commands+=("$PEGASUS_VENV/bin/python $work/pegasus-em.py ensembles")
    # Same server, same bytes.
    "$PEGASUS_VENV/bin/python" "$work/pegasus-em.py" ensembles > "$work/theirs.txt"
    if ! cmp -s "$work/ours.txt" "$work/theirs.txt"; then
        echo "warning: the two clients printed different output" >&2
        diff "$work/ours.txt" "$work/theirs.txt" >&2 || true
    fi
fi

echo "| command | runs | median (ms) | mean (ms) | min (ms) | max (ms) |"
echo "|---|---|---|---|---|---|"
for index in "${!commands[@]}"; do
    command=${commands[$index]}
    if [[ -z "${NO_HYPERFINE:-}" ]] && command -v hyperfine > /dev/null; then
        hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/result.json" "$command" > /dev/null 2>&1
        python3 - "$work/result.json" "${names[$index]}" "$RUNS" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
ms = lambda s: "%.1f" % (s * 1000)
print(f"| {sys.argv[2]} | {sys.argv[3]} | {ms(r['median'])} | {ms(r['mean'])} | {ms(r['min'])} | {ms(r['max'])} |")
EOF
    else
        for _ in 1 2 3 4 5; do $command > /dev/null; done
        : > "$work/times"
        for _ in $(seq 1 "$RUNS"); do
            start=$(date +%s%N)
            $command > /dev/null
            end=$(date +%s%N)
            echo $(((end - start) / 1000)) >> "$work/times"
        done
        sort -n "$work/times" | awk -v name="${names[$index]}" -v runs="$RUNS" '
            { t[NR] = $1; sum += $1 }
            END {
                median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
                printf "| %s | %d | %.1f | %.1f | %.1f | %.1f |\n", name, runs, median / 1000, sum / NR / 1000, t[1] / 1000, t[NR] / 1000
            }'
    fi
done
