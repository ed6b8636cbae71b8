import EnsembleServer
import EnsembleStore
import Foundation
import Glibc
import Logging
import PegasusConfig
import Synchronization

/// Submit-to-planner-start latency: the time from a workflow POST to the first command of its plan script,
/// through the real server (HTTP API, store, scheduler wake-up, job launch), run in this process with
/// `EM_INTERVAL` = 30 s so that only the event-driven wake-up can start the planner quickly.
enum SubmitLatency {
    struct Sample {
        /// From writing the request to the planner's first command.
        var fromRequest: Double
        /// From reading the 201 status line to the planner's first command (negative: the planner started
        /// before the client read the answer, which the server sends after waking the scheduler).
        var fromResponse: Double
    }

    static func measure(submissions: Int) async throws -> [Sample] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("submit-latency-\(getpid())").path
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = root + "/home"
        let basedir = root + "/base"
        try FileManager.default.createDirectory(atPath: home + "/.pegasus", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: basedir, withIntermediateDirectories: true)
        // The planner's first action records the time; bash's $EPOCHREALTIME needs no fork. It then fails
        // (PLAN_FAILED), which frees its slot.
        let script = basedir + "/plan.sh"
        try "#!/bin/bash\necho \"$EPOCHREALTIME\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\nexit 1\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)

        let configuration = PegasusConfiguration(
            home: home, uid: getuid(),
            values: [
                "AUTHENTICATION": .string("NoAuthentication"), "EM_ALLOW_ROOT": .bool(true), "EM_PORT": .int(0),
                "EM_HOST": .string("127.0.0.1"), "EM_INTERVAL": .int(30),
                "MASTER_DB": .string(home + "/.pegasus/workflow.db"),
            ])
        var logger = Logger(label: "scheduler-bench")
        logger.logLevel = .error
        let port = Mutex<Int?>(nil)
        let server = Task {
            try await EnsembleServerRunner(configuration: configuration, logger: logger).run { bound in
                port.withLock { $0 = bound }
            }
        }
        defer { server.cancel() }
        var bound: Int?
        for _ in 0..<500 where bound == nil {
            try await Task.sleep(for: .milliseconds(10))
            bound = port.withLock { $0 }
        }
        guard let bound else { throw BenchError("the server did not start") }

        let created = try post(
            port: bound, path: "/ensembles", body: "name=bench&max_planning=100&max_running=1",
            contentType: "application/x-www-form-urlencoded")
        guard created.status == 201 else { throw BenchError("create ensemble: \(created.status)") }

        var samples: [Sample] = []
        for i in 0..<submissions {
            let stamp = root + "/stamp-\(i)"
            let body = #"{"name": "w\#(i)", "basedir": "\#(basedir)", "plan_argv": ["\#(script)", "\#(stamp)"]}"#
            let sent = Date().timeIntervalSince1970
            let answer = try post(
                port: bound, path: "/ensembles/bench/workflows", body: body,
                contentType: "application/json")
            guard answer.status == 201 else { throw BenchError("submit: \(answer.status)") }
            var started: Double?
            let deadline = Date().addingTimeInterval(10)
            while started == nil && Date() < deadline {
                if let text = try? String(contentsOfFile: stamp, encoding: .utf8) {
                    started = Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
                } else {
                    usleep(500)
                }
            }
            guard let started else { throw BenchError("planner \(i) did not start within 10 s") }
            samples.append(Sample(fromRequest: started - sent, fromResponse: started - answer.time))
            // Let the planner end and the scheduler go idle (waiting for its 30 s interval or a wake-up).
            try await Task.sleep(for: .milliseconds(150 + Int.random(in: 0..<100)))
        }
        return samples
    }

    /// A minimal HTTP/1.1 POST over a blocking socket: the status code and when its status line arrived.
    static func post(port: Int, path: String, body: String, contentType: String) throws -> (status: Int, time: Double) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errno)") }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw BenchError("connect: \(errno)") }
        let request =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let bytes = Array(request.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("write: \(errno)") }
            written += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(UInt8(ascii: "\n")) {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { throw BenchError("read: \(errno)") }
            received += buffer[0..<n]
        }
        let time = Date().timeIntervalSince1970
        let statusLine = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let fields = statusLine.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0, time)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
