import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A detached process the EM started for a workflow (the planner, or `pegasus-run`), persisted in the store so
/// that it is found again after a server restart.
///
/// The process runs in its own session, is not killed when the server stops, and writes its exit status into a
/// result file when it ends. Liveness is judged by pid *and* start time (`/proc/<pid>/stat` field 22), so a
/// reused pid is never mistaken for the job.
public struct JobHandle: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case plan
        case run
    }

    public var kind: Kind
    /// The pid of the waiting subshell that writes the result file.
    public var pid: Int32
    /// Its start time in clock ticks since boot.
    public var startTicks: Int64?
    /// The process group (the session leader's pid): the target of a kill.
    public var processGroup: Int32
    /// Size of the workflow log when the job started: its output begins there.
    public var logOffset: Int64
    /// When the job started (epoch seconds).
    public var startedAt: Double

    /// A handle from its parts (as the store keeps them, or as the launcher started the job).
    package init(
        kind: Kind, pid: Int32, startTicks: Int64?, processGroup: Int32, logOffset: Int64, startedAt: Double
    ) {
        self.kind = kind
        self.pid = pid
        self.startTicks = startTicks
        self.processGroup = processGroup
        self.logOffset = logOffset
        self.startedAt = startedAt
    }

    /// What became of a job.
    public enum Status: Sendable, Equatable {
        case running
        /// Ended with this shell status (128 + n for a signal n).
        case exited(Int32)
        /// Gone without writing a result (killed with its waiter, or the machine rebooted).
        case vanished
    }

    /// The start time of a process, or nil when it does not exist or has already ended (a zombie).
    public static func startTicks(of pid: Int32) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, starttime is field 22.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        // An orphaned waiter killed with its group stays a zombie until init reaps it (seconds, or never when
        // the reaper is slow or the EM is pid 1 in a container): it has ended all the same.
        if fields[0] == "Z" || fields[0] == "X" { return nil }
        return Int64(fields[19])
    }

    /// Whether the job's process is still the one that was started.
    public var isAlive: Bool {
        guard let now = Self.startTicks(of: pid) else { return false }
        guard let startTicks else { return true }
        return now == startTicks
    }

    /// Checks the result file first (a finished job may linger an instant), then liveness.
    public func status(resultFile: String) -> Status {
        if let text = try? String(contentsOfFile: resultFile, encoding: .utf8),
            let code = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return .exited(code)
        }
        if isAlive { return .running }
        // The waiter may have written the result between the two checks.
        if let text = try? String(contentsOfFile: resultFile, encoding: .utf8),
            let code = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return .exited(code)
        }
        return .vanished
    }

    /// Sends a signal to the job's whole process group.
    public func signal(_ sig: Int32) {
        if processGroup > 1 {
            _ = kill(-processGroup, sig)
        }
    }
}
