#!/usr/bin/env bash
# Builds pegasus-em and runs the whole test suite: unit tests, end-to-end tests of the built binaries (real
# server processes, real inotify, real SQLite, the real Pegasus 5.1.3 client from PyPI), the Pegasus simulator's
# self-test, and the trigger chaos test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh

# The real Pegasus client (pegasus-em) and pegasus-db-admin, from PyPI, for compatibility tests.
venv="${PEGASUS_VENV:-$root/.venv-pegasus}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import Pegasus' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'pegasus-wms==5.1.3'
fi
export PEGASUS_VENV="$venv"

# Python tools the tests use beside Pegasus (their own venv: their dependencies must not meet Pegasus' pins):
# prometheus_client's text parser for /metrics, schemathesis for the OpenAPI contract.
tools_venv="${PEGASUS_TOOLS_VENV:-$root/.venv-tools}"
tools_pins=('prometheus_client==0.26.0' 'schemathesis==4.32.5')
if [ ! -x "$tools_venv/bin/python" ] || ! "$tools_venv/bin/pip" freeze 2>/dev/null | grep -qx 'schemathesis==4.32.5' \
    || ! "$tools_venv/bin/pip" freeze 2>/dev/null | grep -qx 'prometheus_client==0.26.0'; then
    python3 -m venv "$tools_venv"
    "$tools_venv/bin/pip" install -q "${tools_pins[@]}"
fi
export PEGASUS_TOOLS_VENV="$tools_venv"
# Tests that need these venvs or other parts this script installs fail, not skip, when they are missing here.
export CI="${CI:-1}"

# Each test step's output is kept, so that the end of the log names the tests that failed (CI shows the tail).
logs=$(mktemp -d "${TMPDIR:-/tmp}/pegasus-em-test-logs.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# Format and target checks are reported with the tests (a formatting slip must not hide the test results).
failed=()
echo "== format (swift format lint --strict) and declared dependencies"
swift format lint --strict -r Sources Tests Package.swift Benchmarks/Sources Benchmarks/Package.swift \
    || failed+=(format)
scripts/check-targets.py || failed+=(check-targets)
scripts/check-targets.py --package-path Benchmarks --no-architecture || failed+=(check-targets-benchmarks)

echo "== build (the package's own targets treat warnings as errors)"
swift build --build-tests

echo "== monitoring fixtures (real pegasus-db-admin schema; 10, 1,000 and 100,000-job workflows)"
tools/monitoring-fixtures/make-fixtures.sh "${TMPDIR:-/tmp}/pegasus-service-fixtures" >/dev/null

echo "== Pegasus simulator self-test"
tools/pegasus-standins/selftest.sh

# One test target at a time: the end-to-end suites start real servers and processes, and timing assertions are
# more trustworthy when the 2 cores are not shared with every other suite at once.
for target in PegasusConfigTests WatchersTests TriggerKitTests EnsembleServerTests EMClientTests LifecycleTests \
    TriggerEngineTests PegasusServiceTests EndToEndTests; do
    echo "== swift test: $target"
    # The chaos test runs in its own step below (it needs PEGASUS_EM_CHAOS=1).
    swift test --skip-build --filter "^$target\." --skip Chaos 2>&1 | tee "$logs/$target.log" || failed+=("$target")
done

echo "== the server against its OpenAPI document (schemathesis)"
tools/openapi-check/run-schemathesis.sh 2>&1 | tee "$logs/openapi.log" || failed+=(openapi)

echo "== Apache httpd accepts the shipped reverse-proxy configuration (apachectl -t)"
PEGASUS_INSTALL_APACHE=1 tools/deployment-check/check-apache-config.sh 2>&1 | tee "$logs/apache-config.log" \
    || failed+=(apache-config)

echo "== pegasus-service behind a private Apache httpd: real requests through the shipped virtual host"
PEGASUS_INSTALL_APACHE=1 tools/deployment-check/run-apache-deployment.sh 2>&1 | tee "$logs/apache-deployment.log" \
    || failed+=(apache-deployment)

echo "== trigger chaos test (SIGKILL at random moments while files arrive)"
PEGASUS_EM_CHAOS=1 swift test --skip-build --filter Chaos 2>&1 | tee "$logs/Chaos.log" || failed+=(Chaos)

echo "== headless-browser test of the dashboard"
tools/browser-test/run-browser-test.sh || failed+=(Browser)

echo "== skipped tests (none may be, except those in scripts/allowed-skips.txt)"
allowed=$(sed -nE 's/^([^#].*[^[:space:]])[[:space:]]+#[[:space:]].*$/\1/p' scripts/allowed-skips.txt)
skipped=$(cat "$logs"/*.log | grep -aE '^➜ (Test|Suite) .* skipped' | sed -E 's/^➜ //; s/ skipped.*$//' | sort -u || true)
unexpected=$(comm -23 <(printf '%s\n' "$skipped" | sed '/^$/d') <(printf '%s\n' "$allowed" | sed '/^$/d' | sort -u))
echo "skipped: $(printf '%s\n' "$skipped" | sed '/^$/d' | wc -l) (allowed: $(printf '%s\n' "$allowed" | sed '/^$/d' | wc -l))"
[ -z "$skipped" ] || printf '%s\n' "$skipped" | sed 's/^/  /'
if [ -n "$unexpected" ]; then
    printf '%s\n' "$unexpected" | sed 's/^/not allowed to skip: /' | tee "$logs/skipped-tests.log"
    failed+=(skipped-tests)
fi

echo "== fuzzing: each parser 20 s under libFuzzer and AddressSanitizer (tools/fuzz, docs/fuzzing.md)"
tools/fuzz/run-ci.sh 2>&1 | tee "$logs/fuzz.log" || failed+=(fuzz)

# The package's release build (--static-swift-stdlib) is the release build: trigger-bench runs .build/release too.
echo "== release build and Debian package (scripts/package.sh), checked extracted and installed"
tools/package-check/check-package.sh 2>&1 | tee "$logs/package.log" || failed+=(package)

echo "== the benchmarks package builds against this one (Benchmarks/, by path)"
# In this package's build directory: the dependencies' modules built above are reused (about 50 s instead of 6 min
# for a separate Benchmarks/.build); this package's own modules are rebuilt as a dependency's, so this comes last.
swift build --package-path Benchmarks --scratch-path "$root/.build" || failed+=(benchmarks-build)

if [ ${#failed[@]} -gt 0 ]; then
    for step in "${failed[@]}"; do
        [ -f "$logs/$step.log" ] || continue
        echo "== what failed in $step"
        grep -E '✘|error:|Fatal error|failed \(|Test .* recorded an issue|^- ST[0-9]+ |^_+ [A-Z]+ /|openapi-check: FAILED|FAILED:|not allowed to skip|^package.sh: ' "$logs/$step.log" | head -40 || true
    done
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "All test targets passed."
