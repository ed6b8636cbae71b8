#!/usr/bin/env python3
"""Checks that the package's targets say what they use.

1. Every module a Swift file imports is a dependency its target declares (a target of the package, a product of
   a package dependency, or a module of the toolchain), and every declared dependency is imported somewhere in
   the target (no dead edges in the graph).
2. No Swift file of a target is longer than 500 lines (split by stage: one type per file, `Type+Feature.swift`).
3. The target graph drawn in docs/architecture.md (the Mermaid block) is the graph of Package.swift: the same
   edges between the package's own non-test targets.

Usage: scripts/check-targets.py [--package-path DIR] [--architecture FILE | --no-architecture]
Exit status 1 with one line per problem; 0 when everything holds.
"""

import argparse
import json
import os
import re
import subprocess
import sys

# Modules of the toolchain and the platform: never declared in Package.swift.
SYSTEM_MODULES = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
    "Synchronization", "Testing", "XCTest", "_Concurrency", "os", "PackageDescription", "Observation", "FoundationXML",
}

IMPORT = re.compile(
    r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*(?:public\s+|package\s+|internal\s+|private\s+|fileprivate\s+)?"
    r"import\s+(?:typealias\s+|struct\s+|class\s+|enum\s+|protocol\s+|let\s+|var\s+|func\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def dump(package_path):
    out = subprocess.run(["swift", "package", "--package-path", package_path, "dump-package"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def dependency_names(target):
    names = []
    for dep in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dep:
                names.append(dep[kind][0])
    return names


def target_path(package_path, target):
    if target.get("path"):
        return os.path.join(package_path, target["path"])
    folder = "Tests" if target["type"] == "test" else "Sources"
    return os.path.join(package_path, folder, target["name"])


MAX_LINES = 500


def long_files(directory):
    for root, _, files in os.walk(directory):
        for name in files:
            if name.endswith(".swift"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as handle:
                    count = sum(1 for _ in handle)
                if count > MAX_LINES:
                    yield path, count


def import_lines(text):
    """The lines of Swift source that can hold an import: comments and multi-line string literals removed."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    in_string = False  # inside a multi-line string literal (e.g. a Python script a test writes)
    for line in text.splitlines():
        stripped = line.strip()
        if in_string:
            # The closing delimiter starts its line: `"""`, `"""#`, `""")`.
            in_string = not stripped.startswith('"""')
            continue
        if stripped.startswith("//"):
            continue
        # An opening delimiter ends its line: `= """`, `#"""`.
        if stripped.endswith('"""') and not stripped.endswith('""""'):
            in_string = True
            continue
        yield line


def imports_of(directory):
    found = {}
    for root, _, files in os.walk(directory):
        for name in files:
            if not name.endswith(".swift"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as handle:
                for line in import_lines(handle.read()):
                    match = IMPORT.match(line)
                    if match:
                        found.setdefault(match.group(1), []).append(path)
    return found


def mermaid_edges(path):
    text = open(path, encoding="utf-8").read()
    block = re.search(r"```mermaid\n(.*?)```", text, re.S)
    if not block:
        return None
    edges = set()
    for line in block.group(1).splitlines():
        # `A --> B` and `A --> B & C`; node labels like A[label] are reduced to their ids.
        match = re.match(r"\s*([A-Za-z][\w-]*)(?:\[[^\]]*\])?\s*-->\s*(.+)$", line)
        if match:
            for target in match.group(2).split("&"):
                edges.add((match.group(1), re.sub(r"\[.*$", "", target.strip())))
    return edges


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--package-path", default=".")
    parser.add_argument("--architecture", default="docs/architecture.md")
    parser.add_argument("--no-architecture", action="store_true")
    args = parser.parse_args()

    package = dump(args.package_path)
    own = {t["name"] for t in package["targets"]}
    problems = []
    for target in package["targets"]:
        if target["type"] == "system":
            continue
        declared = set(dependency_names(target))
        used = imports_of(target_path(args.package_path, target))
        for module, files in sorted(used.items()):
            if module in SYSTEM_MODULES or module == target["name"]:
                continue
            if module not in declared:
                problems.append(f"{target['name']}: imports {module} without declaring it ({files[0]})")
        for module in sorted(declared - set(used)):
            problems.append(f"{target['name']}: declares {module} but no file imports it")
        for path, count in long_files(target_path(args.package_path, target)):
            problems.append(f"{path}: {count} lines (at most {MAX_LINES}: split it by stage)")

    if not args.no_architecture:
        drawn = mermaid_edges(os.path.join(args.package_path, args.architecture))
        if drawn is None:
            problems.append(f"{args.architecture}: no ```mermaid block")
        else:
            actual = set()
            for target in package["targets"]:
                if target["type"] in ("test", "system") or target["name"] == "EMTestSupport":
                    continue
                for dep in dependency_names(target):
                    if dep in own:
                        actual.add((target["name"], dep))
            for edge in sorted(actual - drawn):
                problems.append(f"{args.architecture}: missing edge {edge[0]} --> {edge[1]} (Package.swift has it)")
            for edge in sorted(drawn - actual):
                problems.append(f"{args.architecture}: edge {edge[0]} --> {edge[1]} is not in Package.swift")

    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"{len(package['targets'])} targets: every import declared, every dependency used, no file over {MAX_LINES} lines"
          + ("" if args.no_architecture else ", architecture graph matches Package.swift"))


if __name__ == "__main__":
    main()
