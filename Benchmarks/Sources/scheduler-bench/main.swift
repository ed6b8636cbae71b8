// scheduler-bench: the cost of one WorkflowScheduler pass over a large store, and the latency from a workflow
// submission to its planner's start.
//
//   swift build -c release --package-path Benchmarks
//   Benchmarks/.build/release/scheduler-bench [--workflows N] [--active N] [--passes N] [--submissions N] \
//       [--only pass|latency]
//
// Pass: seeds a temporary EM store with N workflows (default 100,000) in 10 ensembles, of which `--active`
// (default 1,000) are RUNNING with a wf_uuid and a finished pegasus-run (so the pass follows them through the
// master DB), and a Pegasus master DB (schema from tools/pegasus-standins) holding a master_workflow row and
// WORKFLOW_STARTED/TERMINATED rows for every workflow. Then times `pass()`:
//   A. steady state: nothing changed since the last pass (the common case while workflows run);
//   B. churn: before each pass, 10 running workflows get a WORKFLOW_TERMINATED row, so the pass also commits
//      10 transitions (state + history).
// Latency: see SubmitLatency.swift.
// Prints Markdown tables (copied into docs/PERFORMANCE.md, section "Workflow lifecycle").

import Foundation

// MARK: - Helpers

func argument(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count, let n = Int(args[i + 1]) { return n }
    return value
}

func percentile(_ sorted: [Duration], _ fraction: Double) -> Duration {
    sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
}

func ms(_ d: Duration) -> String {
    let (seconds, attoseconds) = d.components
    return String(format: "%.2f ms", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
}

/// The repository root (the main package's directory, holding tools/pegasus-standins), found from this file. Not
/// the nearest Package.swift: that is the Benchmarks package's.
func repositoryRoot() -> String {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("tools/pegasus-standins").path) {
            return url.path
        }
    }
    return FileManager.default.currentDirectoryPath
}

/// Whether workflow number `n` of `total` is one of the `active` running ones (spread evenly over the ids).
func isActive(_ n: Int, total: Int, active: Int) -> Bool {
    active > 0 && n % (total / active) == 0 && n / (total / active) < active
}

func uuid(_ n: Int) -> String {
    String(format: "00000000-0000-4000-8000-%012d", n)
}

// MARK: - Main

let only = CommandLine.arguments.firstIndex(of: "--only").map { CommandLine.arguments[$0 + 1] }
print("scheduler-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores")
if only != "latency" {
    try await PassBenchmark.run(
        total: argument("--workflows", default: 100_000), active: argument("--active", default: 1_000),
        passes: argument("--passes", default: 50))
}
if only != "pass" {
    let submissions = argument("--submissions", default: 50)
    let samples = try await SubmitLatency.measure(submissions: submissions)
    let fromRequest = samples.map { Duration.seconds($0.fromRequest) }.sorted()
    let fromResponse = samples.map { Duration.seconds($0.fromResponse) }.sorted()
    print("")
    print("| submit → planner start, \(submissions) submissions, EM_INTERVAL 30 s | p50 | p90 | p99 | max |")
    print("|---|---|---|---|---|")
    print(
        "| from the POST being sent | \(ms(percentile(fromRequest, 0.5))) | \(ms(percentile(fromRequest, 0.9))) | "
            + "\(ms(percentile(fromRequest, 0.99))) | \(ms(fromRequest.last!)) |")
    print(
        "| from the 201 being received | \(ms(percentile(fromResponse, 0.5))) | "
            + "\(ms(percentile(fromResponse, 0.9))) | \(ms(percentile(fromResponse, 0.99))) | \(ms(fromResponse.last!)) |"
    )
}
exit(0)
