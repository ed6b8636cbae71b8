import EMTestSupport
import Foundation
import Synchronization

/// Runs blocking work (process waits, polling) off the Swift concurrency pool, which has only as many threads as
/// cores: a test that sleeps in a pool thread would stall every other test.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// Runs a process to completion off the concurrency pool.
func run(
    _ argv: [String], environment: [String: String]? = nil, directory: String? = nil, stdin: String? = nil,
    timeout: Double = 60
) async throws -> ProcessResult {
    try await blocking {
        try ProcessRunner.run(argv, environment: environment, directory: directory, stdin: stdin, timeout: timeout)
    }
}

extension TestServer {
    /// ``start(timeout:)`` off the concurrency pool.
    func launch() async throws {
        try await blocking { try self.start() }
    }

    /// ``stop()`` (SIGTERM) off the concurrency pool; returns the exit status.
    func terminate() async throws -> Int32 {
        try await blocking { self.stop() }
    }

    /// ``crash()`` (SIGKILL) off the concurrency pool.
    func kill() async throws {
        try await blocking { self.crash() }
    }

    /// The pid of the running server.
    var pid: Int32? { process?.processIdentifier }

    /// The server's store.
    var databasePath: String { home.path + "/.pegasus/em.db" }
}

/// A `pegasus-em server` or `pegasus-service` started through an arbitrary launcher (e.g. `setpriv` to run it as another user),
/// with its output captured and its bound port read from the "listening on" line.
final class LaunchedServer: @unchecked Sendable {
    let process = Process()
    let output = LockedData()
    private(set) var port = 0

    init(argv: [String], environment: [String: String], directory: String) {
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let buffer = output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { buffer.append(data) }
        }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the process and waits for its "listening" line.
    func start(timeout: Double = 30) async throws {
        try process.run()
        port = try await blocking {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let match = self.output.string.firstMatch(of: #/listening on https?://[^:]+:(\d+)/#) {
                    return Int(match.output.1)!
                }
                if !self.process.isRunning { break }
                usleep(10_000)
            }
            throw TestServerError.didNotStart(self.output.string)
        }
    }

    /// SIGTERM, then the exit status.
    func terminate() async throws -> Int32 {
        try await blocking {
            if self.process.isRunning { kill(self.process.processIdentifier, SIGTERM) }
            self.process.waitUntilExit()
            return self.process.terminationStatus
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Names collected from several tasks.
final class Collected: Sendable {
    private let items = Mutex<[String]>([])
    func append(_ s: String) { items.withLock { $0.append(s) } }
    var all: [String] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}
