import Foundation

/// A real `pegasus-em server` process on a free loopback port, with its own HOME (and so its own
/// `~/.pegasus/service.py`, store and master DB), for end-to-end tests.
public final class TestServer: @unchecked Sendable {
    public let home: TemporaryDirectory
    public private(set) var port: Int = 0
    public private(set) var process: Process?
    private var output = LockedData()
    /// The output pipes of every start, kept open until the server object goes: closing a pipe while its
    /// readability source may still be registered lets libdispatch meet a reused descriptor (a crash in
    /// `_dispatch_source_refs_finalize_unregistration`, seen once in the chaos test's 50 restarts).
    private var pipes: [(pipe: Pipe, ended: LockedData)] = []
    /// Extra `service.py` lines.
    public let settings: [String: String]
    /// The environment the server (and so its planners) runs with.
    public let environment: [String: String]

    /// Prepares a home directory with a `service.py`. Values are Python literals, e.g. `"True"`, `"'x'"`.
    public init(settings: [String: String] = [:], environment extra: [String: String] = [:]) throws {
        home = try TemporaryDirectory(prefix: "pegasus-em-home")
        var all: [String: String] = [
            "AUTHENTICATION": "'NoAuthentication'", "EM_ALLOW_ROOT": "True", "EM_PORT": "0", "EM_INTERVAL": "1",
        ]
        for (k, v) in settings { all[k] = v }
        self.settings = all
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home.path
        env["PATH"] = Binaries.simulatorBin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env.removeValue(forKey: "PEGASUS_ENV")
        for key in ["EM_PORT", "EM_HOST", "EM_DATABASE", "MASTER_DB", "AUTHENTICATION"] { env.removeValue(forKey: key) }
        for (k, v) in extra { env[k] = v }
        environment = env
        try writeSettings()
    }

    func writeSettings() throws {
        try writeSettings(settings)
    }

    /// Writes `service.py` private to its owner (0600), as a careful user keeps a file that may hold PASSWORD: the
    /// client warns on stderr otherwise.
    private func writeSettings(_ values: [String: String]) throws {
        let text = values.keys.sorted().map { "\($0) = \(values[$0]!)" }.joined(separator: "\n") + "\n"
        let path = try home.write(".pegasus/service.py", text)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Everything the server wrote to stdout and stderr so far.
    public var log: String { output.string }

    /// Starts the server and waits until it listens. When `port` was already assigned (a restart), it is reused.
    public func start(timeout: Double = 30) throws {
        if port != 0 {
            var s = settings
            s["EM_PORT"] = String(port)
            try writeSettings(s)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("pegasus-em"))
        process.arguments = ["server", "-v"]
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: home.path)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let buffer = output
        let ended = LockedData()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                // End of output: the source is cancelled from its own handler.
                handle.readabilityHandler = nil
                ended.append(Data([1]))
            } else {
                buffer.append(data)
            }
        }
        pipes.append((pipe, ended))
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let range = output.string.range(of: #"listening on http://[^:]+:(\d+)"#, options: .regularExpression) {
                let match = output.string[range]
                port = Int(match.split(separator: ":").last!)!
                return
            }
            if !process.isRunning { break }
            usleep(10_000)
        }
        throw TestServerError.didNotStart(output.string)
    }

    /// Sends SIGTERM and waits for the exit.
    @discardableResult
    public func stop() -> Int32 {
        guard let process else { return 0 }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        retireOutput()
        self.process = nil
        // The next start of this server prints a new listening line; forget the old one.
        output = LockedData()
        return process.terminationStatus
    }

    /// After an exit: waits (at most 2 s: a planner the server started may still hold the pipe) for the end of the
    /// output, then stops reading it. The pipe itself stays open (see ``pipes``).
    private func retireOutput() {
        guard let (pipe, ended) = pipes.last else { return }
        let deadline = Date().addingTimeInterval(2)
        while ended.string.isEmpty && Date() < deadline { usleep(5_000) }
        if ended.string.isEmpty { pipe.fileHandleForReading.readabilityHandler = nil }
    }

    /// Kills the server with SIGKILL (crash tests).
    public func crash() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        retireOutput()
        self.process = nil
        output = LockedData()
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        home.remove()
    }
}

public enum TestServerError: Error, CustomStringConvertible {
    case didNotStart(String)

    public var description: String {
        switch self {
        case .didNotStart(let log): "the server did not start:\n\(log)"
        }
    }
}
