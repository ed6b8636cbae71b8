#!/usr/bin/env bash
# Builds tools/fuzz/.build/pegasus-fuzz: one libFuzzer binary (swiftc -sanitize=fuzzer,address) holding every
# parser target. It is compiled straight from the parsers' files in Sources/ (and Yams' sources from
# .build/checkouts), module by module under the real module names, without SwiftPM and without the rest of the
# dependency graph, so it builds in about a minute. FUZZ_TARGET picks the parser at run time (see README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out="$root/tools/fuzz/.build"
yams="${YAMS_CHECKOUT:-$root/.build/checkouts/Yams}"
opt="${FUZZ_OPT:--O}"
mkdir -p "$out"
[ -d "$yams/Sources/CYaml" ] || { echo "fuzz build: no Yams checkout at $yams (run swift build first)" >&2; exit 1; }

flags=(-sanitize=fuzzer,address -parse-as-library -swift-version 6 -package-name pegasus_em "$opt" -g -I "$out")

# module NAME FILE...: compiles one module (whole-module) to $out/NAME.o and $out/NAME.swiftmodule.
module() {
    local name=$1
    shift
    swiftc "${flags[@]}" -wmo -c -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
        -o "$out/$name.o" "$@"
}

# Yams' C part (libyaml), instrumented too, and its Swift part.
rm -rf "$out/cyaml" "$out"/*.o
mkdir -p "$out/cyaml"
cpids=()
for c in "$yams"/Sources/CYaml/src/*.c; do
    clang -fsanitize=fuzzer-no-link,address -O1 -g -DYAML_DECLARE_STATIC -I "$yams/Sources/CYaml/include" \
        -c "$c" -o "$out/cyaml/$(basename "$c" .c).o" &
    cpids+=($!)
done
for pid in "${cpids[@]}"; do wait "$pid"; done
cymap="$yams/Sources/CYaml/include/module.modulemap"
pids=()
module Yams -D SWIFT_PACKAGE -Xcc -DYAML_DECLARE_STATIC -Xcc -fmodule-map-file="$cymap" "$yams"/Sources/Yams/*.swift &
pids+=($!)
module EnsembleCore Sources/EnsembleCore/Domain/EMError.swift &
pids+=($!)
module TriggerKit Sources/TriggerKit/TriggerError.swift Sources/TriggerKit/Schedule/TriggerDuration.swift \
    Sources/TriggerKit/Schedule/Cron/*.swift Sources/TriggerKit/Patterns/GlobPattern.swift \
    Sources/TriggerKit/Patterns/ComponentPattern.swift &
pids+=($!)
module PegasusConfig Sources/PegasusConfig/*.swift &
pids+=($!)
# The query language, and the file defining SQLValue (the type of its bound arguments).
module PegasusService Sources/PegasusService/Monitoring/QueryLanguage/*.swift \
    Sources/PegasusService/UserData/UserDataProtocol.swift &
pids+=($!)
for pid in "${pids[@]}"; do wait "$pid"; done
module EnsembleServer -enable-testing -Xcc -fmodule-map-file="$cymap" \
    Sources/EnsembleServer/Lifecycle/PlanOutput.swift Sources/EnsembleServer/API/RequestFields.swift

swiftc "${flags[@]}" -Xcc -fmodule-map-file="$cymap" -module-name PegasusFuzz \
    tools/fuzz/Harness/*.swift "$out"/*.o "$out"/cyaml/*.o -o "$out/pegasus-fuzz.new" \
    2> >(grep -v "Cannot export local symbol '__asan" >&2)
# A rename, so that a fuzzer running the old binary keeps it.
mv "$out/pegasus-fuzz.new" "$out/pegasus-fuzz"
echo "fuzz build: $out/pegasus-fuzz"
