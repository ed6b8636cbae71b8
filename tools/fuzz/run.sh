#!/usr/bin/env bash
# Fuzzes one parser: tools/fuzz/run.sh TARGET SECONDS [libFuzzer options...]
#
# SECONDS is CPU time (user + system) of the fuzzer process, not wall time, so a run on a busy machine still
# gets what it asks for; at that point it is stopped with SIGINT (libFuzzer prints its statistics and exits 0).
# FUZZ_WALL_LIMIT (seconds, default 6 x SECONDS) bounds the wall time too.
# New inputs go to tools/fuzz/.build/corpus/TARGET (or $FUZZ_CORPUS_DIR/TARGET; the seeds in
# tools/fuzz/corpus/TARGET are read, never written); a crash, hang or invariant violation leaves its input
# in tools/fuzz/.build/crashes/TARGET/ and makes this script exit non-zero, naming the file.
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
target=${1:?usage: run.sh TARGET SECONDS [libFuzzer options...]}
seconds=${2:?usage: run.sh TARGET SECONDS [libFuzzer options...]}
shift 2
binary="$here/.build/pegasus-fuzz"
[ -x "$binary" ] || { echo "run.sh: $binary is missing (run tools/fuzz/build.sh)" >&2; exit 1; }
[ -d "$here/corpus/$target" ] || { echo "run.sh: unknown target $target (no corpus/$target)" >&2; exit 2; }
work="${FUZZ_CORPUS_DIR:-$here/.build/corpus}/$target"
crashes="$here/.build/crashes/$target"
mkdir -p "$work" "$crashes"
marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
options=(-timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 "-artifact_prefix=$crashes/")
[ -f "$here/dict/$target.dict" ] && options+=("-dict=$here/dict/$target.dict")
wall=${FUZZ_WALL_LIMIT:-$((seconds * 6))}

export FUZZ_TARGET=$target
# Swift's own backtracer would run inside the crashing process and trip AddressSanitizer; libFuzzer reports.
export SWIFT_BACKTRACE=enable=no
# exec: $! is the fuzzer itself, whose CPU time is measured below.
(exec "$binary" "${options[@]}" -max_total_time="$wall" "$@" "$work" "$here/corpus/$target") &
pid=$!
ticks=$(getconf CLK_TCK)
# Stop the fuzzer once its CPU time (fields 14 and 15 of /proc/PID/stat, in clock ticks) reaches SECONDS.
while kill -0 "$pid" 2>/dev/null; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || break
    read -r -a fields <<<"${stat##*) }"
    cpu=$(((fields[11] + fields[12]) / ticks))
    if [ "$cpu" -ge "$seconds" ]; then
        interrupted=1
        kill -INT "$pid" 2>/dev/null || true
        break
    fi
    sleep 1
done
status=0
wait "$pid" || status=$?
# 72: libFuzzer's exit code after the SIGINT sent above.
[ "${interrupted:-0}" = 1 ] && [ "$status" -eq 72 ] && status=0
found=$(find "$crashes" -type f -newer "$marker" 2>/dev/null | head -5 || true)
if [ "$status" -ne 0 ] || [ -n "$found" ]; then
    echo "run.sh: FUZZ FAILURE in target $target (exit $status); input(s):" >&2
    printf '  %s\n' $found >&2
    exit 1
fi
echo "run.sh: $target: $(find "$work" -type f | wc -l) inputs in $work, cpu ${cpu:-?} s"
