#!/usr/bin/env bash
# Checks `pegasus-em server` against its OpenAPI document (Sources/EnsembleServer/API/OpenAPI/openapi.json) with
# schemathesis (PyPI, pinned in scripts/test.sh): every response must be documented (status code, content type,
# headers, body schema), no request may cause a 5xx, methods a path lacks must answer 405 with `Allow`, and data
# the document rules out must be refused.
#
# It builds nothing: scripts/test.sh builds first. It starts the debug binary (.build/debug/pegasus-em) with a
# temporary HOME whose service.py sets AUTHENTICATION = "NoAuthentication" on a free loopback port, seeds an
# ensemble with workflows, a cron trigger and a file-pattern trigger so that path parameters name real resources
# (tools/openapi-check/schemathesis.toml gives schemathesis those names), and runs schemathesis twice:
#   1. on the seeded resources (the fixed names of schemathesis.toml): examples, coverage and fuzzing;
#   2. with generated path parameters (unknown names, odd characters: 404s and routing), plus the stateful phase
#      (sequences that follow the document's links: a created ensemble is read, changed and deleted; the fixed
#      names of run 1 would break those sequences).
# Both runs are bounded (--max-examples) and reproducible (--seed, one worker, no example database).
#
# Fails (exit 1) when the tools venv or the binary is missing: CI must not pass by skipping.
# Extra arguments are passed to both schemathesis runs (e.g. --exclude-path /metrics on a branch without it).
#
# Usage: tools/openapi-check/run-schemathesis.sh [schemathesis run options]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

say() { echo "openapi-check: $*"; }
fail() {
    echo "openapi-check: FAILED: $*" >&2
    exit 1
}

venv="${PEGASUS_TOOLS_VENV:-$root/.venv-tools}"
schemathesis="$venv/bin/schemathesis"
[[ -x $schemathesis ]] || fail "no schemathesis in $venv (scripts/test.sh creates the tools venv; PEGASUS_TOOLS_VENV)"
em="$root/.build/debug/pegasus-em"
[[ -x $em ]] || fail "no $em: build first (swift build)"
document="$root/Sources/EnsembleServer/API/OpenAPI/openapi.json"
config="$root/tools/openapi-check/schemathesis.toml"

work=$(mktemp -d "${TMPDIR:-/tmp}/openapi-check.XXXXXX")
mkdir -p "$work/home/.pegasus" "$work/inbox" "$work/basedir" "$work/bin"
cat > "$work/home/.pegasus/service.py" << CONF
AUTHENTICATION = "NoAuthentication"
EM_ALLOW_ROOT = True
EM_PORT = 0
CONF
# The trigger's workflow script, and the only commands a fuzzed plan command could name without a path: the
# server's PATH holds nothing else, so generated request bodies never run a program of this machine.
printf '#!/bin/sh\nexit 0\n' > "$work/bin/submit.sh"
chmod +x "$work/bin/submit.sh"

server=
cleanup() {
    if [[ -n $server ]]; then
        kill "$server" 2> /dev/null || true
        wait "$server" 2> /dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

(cd "$work/basedir" && HOME="$work/home" PATH="$work/bin" exec "$em" server -v) > "$work/server.log" 2>&1 &
server=$!
port=
for _ in $(seq 300); do
    port=$(grep -o 'listening on http://[^ ]*' "$work/server.log" | sed 's/.*://' || true)
    [[ -n $port ]] && break
    kill -0 "$server" 2> /dev/null || break
    sleep 0.1
done
[[ -n $port ]] || {
    cat "$work/server.log" >&2
    fail "the server did not start"
}
base="http://127.0.0.1:$port"
say "pegasus-em server (pid $server) on $base"

# Seeds the resources the fixed path parameters name (schemathesis.toml); any failure stops the check.
post() {
    local path=$1
    shift
    local status
    status=$(curl -sS -o "$work/reply" -w '%{http_code}' -X POST "$base$path" "$@")
    [[ $status == 2* ]] || fail "seeding POST $path: $status $(cat "$work/reply")"
}
post /ensembles -d name=demo -d max_planning=2 -d max_running=2
post /ensembles -d name=scratch
post /ensembles -d name=doomed
# HELD: nothing submitted to demo (by the seeds or by fuzzed requests) is ever planned.
post /ensembles/demo -d state=HELD
for w in diamond1 old; do
    post /ensembles/demo/workflows -H 'Content-Type: application/json' \
        -d "{\"name\": \"$w\", \"basedir\": \"$work/basedir\", \"plan_argv\": [\"$work/bin/submit.sh\"]}"
done
post /ensembles/demo/workflows/old -d state=ABORTED # finished: it can be deleted
for t in nightly stopme; do
    post /ensembles/demo/triggers/cron -d trigger=$t -d "workflow_script=$work/bin/submit.sh" \
        -d 'workflow_args=["x"]' -d 'cron=0 3 * * *'
done
post /ensembles/demo/triggers/file_pattern -d trigger=inbox -d "workflow_script=$work/bin/submit.sh" \
    -d 'workflow_args=[]' -d 'interval=1 h' --data-urlencode "file_patterns=[\"$work/inbox/*.dat\"]"

# schemathesis writes its example database and reports into the working directory: keep them in $work.
cd "$work"
common=(--url "$base" --workers 1 --seed 15 --generation-database none --no-color
    --checks all --exclude-checks positive_data_acceptance,ignored_auth,missing_required_header
    --generation-with-security-parameters false --request-timeout 10)
failed=0
say "run 1: the seeded ensemble, workflows and triggers"
"$schemathesis" --config-file "$config" run "$document" "${common[@]}" --max-examples 50 \
    --phases examples,coverage,fuzzing "$@" || failed=1
say "run 2: generated path parameters, and sequences (create, then read, change, delete what was created)"
"$schemathesis" run "$document" "${common[@]}" --max-examples 15 "$@" || failed=1

if ! kill -0 "$server" 2> /dev/null; then
    tail -50 "$work/server.log" >&2
    fail "the server died during the check"
fi
if [[ $failed -ne 0 ]]; then
    say "server log (last 30 lines):"
    tail -30 "$work/server.log"
    fail "schemathesis found responses that do not match the document (above)"
fi
say "OK: every response matched the document"
