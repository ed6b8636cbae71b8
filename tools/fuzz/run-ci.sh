#!/usr/bin/env bash
# CI: builds the fuzz binary and fuzzes every parser for 20 s (CPU), two targets at a time (the runner's two
# cores). Fails on any crash, hang or violated invariant, naming the target and the input's path.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
start=$(date +%s)
./build.sh
logs=$(mktemp -d "${TMPDIR:-/tmp}/pegasus-fuzz-ci.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# lane TARGET...: runs the targets one after another, from the seeds (the corpus it grows is thrown away);
# each is capped at 20 s of wall time too (on a busy runner a target gets less CPU, never more time).
lane() {
    for target in "$@"; do
        if FUZZ_CORPUS_DIR="$logs/corpus" FUZZ_WALL_LIMIT=20 ./run.sh "$target" 20 >"$logs/$target.log" 2>&1; then
            echo "fuzz $target: ok, $(grep -m1 -o 'number_of_executed_units: *[0-9]*' "$logs/$target.log" \
                | grep -o '[0-9]*$') executions"
        else
            touch "$logs/$target.failed"
            echo "fuzz $target: FAILED"
        fi
    done
}
lane query servicepy cron glob &
first=$!
lane duration request braindump planoutput &
second=$!
wait "$first" "$second"

status=0
for failure in "$logs"/*.failed; do
    [ -e "$failure" ] || continue
    target=$(basename "$failure" .failed)
    echo "== fuzz target $target failed; its report:"
    grep -E -A25 '==ERROR|Fatal error|invariant violated|deadly signal|timeout after|out-of-memory' \
        "$logs/$target.log" | head -40 || true
    grep -E 'FUZZ FAILURE|^  /' "$logs/$target.log" || true
    status=1
done
echo "fuzz: build and runs took $(($(date +%s) - start)) s"
exit "$status"
