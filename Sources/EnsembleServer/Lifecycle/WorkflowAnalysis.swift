import EnsembleCore
import EnsembleStore
import Foundation
import Subprocess
import SystemPackage

/// The `analyze` report: Pegasus' text (state, plan command, workflow log, pegasus-analyzer output, failure hint)
/// followed by the reason and the state history.
enum WorkflowAnalysis {
    static func report(
        _ w: WorkflowRecord, log: String, history: [WorkflowHistoryRecord], environment: [String: String]
    ) async -> String {
        var out = "Workflow state is \(w.state.rawValue)\n"
        out += "Plan command is: \(w.planCommand)\n"
        if let data = FileManager.default.contents(atPath: log) {
            out += "Workflow log:\n"
            let text = String(decoding: data, as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last == "" { lines.removeLast() }
            for line in lines { out += "LOG: \(line)\n" }
        } else {
            out += "No workflow log available\n"
        }
        var isDirectory: ObjCBool = false
        if let dir = w.submitdir, FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            out += "pegasus-analyzer output is:\n"
            let (text, code) = await runAnalyzer(dir, environment: environment)
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) { out += "ANALYZER: \(line)\n" }
            out += "ANALYZER: Exited with code \(code)\n"
        } else {
            out += "No submit directory available\n"
        }
        switch w.state {
        case .planFailed: out += "Planner failure detected\n"
        case .runFailed: out += "pegasus-run failure detected\n"
        case .failed: out += "Workflow failure detected\n"
        default: break
        }
        if let reason = w.reason { out += "Reason: \(reason)\n" }
        if let diagnostic = w.diagnostic { out += "Diagnostic: \(diagnostic)\n" }
        out += "State history:\n"
        for h in history {
            let time = Date(timeIntervalSince1970: h.time).formatted(.iso8601)
            out += "  \(time)  \(h.fromState?.rawValue ?? "-") -> \(h.toState.rawValue)"
            out += h.reason.map { "  (\($0))\n" } ?? "\n"
        }
        return out
    }

    /// Runs `pegasus-analyzer <dir>` with stdout and stderr merged, as Pegasus does.
    static func runAnalyzer(_ dir: String, environment: [String: String]) async -> (String, Int32) {
        let env = JobLauncher.subprocessEnvironment(environment)
        do {
            let result = try await Subprocess.run(
                .path("/bin/sh"), arguments: ["-c", "exec pegasus-analyzer \"$1\" 2>&1", "sh", dir], environment: env,
                output: .string(limit: 8 << 20), error: .discarded)
            let code: Int32
            switch result.terminationStatus {
            case .exited(let c): code = c
            case .signaled(let s): code = 128 + s
            }
            return (result.standardOutput, code)
        } catch {
            return ("cannot run pegasus-analyzer: \(error)", 127)
        }
    }
}
