import EMTestSupport
import EnsembleServer
import EnsembleStore
import Foundation
import GRDB
import Synchronization
import Testing

/// kill -9 under load loses nothing that was acknowledged: every submission answered 201 is in the store after a
/// SIGKILL, the store passes `PRAGMA integrity_check`, and the server restarts on it.
@Suite(.timeLimit(.minutes(2)))
struct CrashSafetyTests {
    @Test func acknowledgedSubmissionsSurviveSIGKILL() async throws {
        let server = try TestServer()
        try await server.launch()
        let base = server.baseURL
        let created = try await TestHTTP.send("POST", base + "/ensembles", form: ["name": "crash"])
        try #require(created.status == 201)
        // Paused, so no scheduler work competes with the submissions.
        _ = try await TestHTTP.send("POST", base + "/ensembles/crash", form: ["state": "PAUSED"])

        let killed = KillClock()
        let acknowledged = Collected()
        let sent = Collected()
        let unexpected = Collected()
        let basedir = server.home.path
        let start = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<4 {
                group.addTask {
                    var n = 0
                    while true {
                        n += 1
                        let name = "c\(client)-\(n)"
                        sent.append(name)
                        let plan = "\"/bin/true\" \"\(n)\""
                        let answer = try? await killed.bounded {
                            try await TestHTTP.send(
                                "POST", base + "/ensembles/crash/workflows",
                                form: ["name": name, "basedir": basedir, "plan_command": plan])
                        }
                        guard let reply = answer ?? nil else { return }  // the server is gone
                        if reply.status == 201 {
                            acknowledged.append(name)
                        } else {
                            unexpected.append("\(name): \(reply.status) \(reply.body)")
                        }
                    }
                }
            }
            group.addTask {
                // About 1 s of submissions; on a loaded machine, longer, until 100 were acknowledged (at most 30 s).
                try await Task.sleep(for: .seconds(1))
                while acknowledged.count < 100, Date().timeIntervalSince(start) < 30 {
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await server.kill()
                killed.mark()
            }
            try await group.waitForAll()
        }
        let elapsed = Date().timeIntervalSince(start)
        let acked = acknowledged.all
        #expect(unexpected.all.isEmpty)
        #expect(acked.count >= 100, "only \(acked.count) submissions in \(elapsed) s: too little load to mean anything")

        // The crashed store, opened read-only before anything else touches it.
        var readOnly = Configuration()
        readOnly.readonly = true
        let names: Set<String> = try {
            let queue = try DatabaseQueue(path: server.databasePath, configuration: readOnly)
            return try queue.read { db in
                #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
                let names = try String.fetchAll(db, sql: "SELECT name FROM workflow")
                #expect(names.count == Set(names).count, "no duplicates")
                let history = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workflow_history") ?? 0
                #expect(history == names.count, "every workflow has its history row: nothing half-written")
                return Set(names)
            }
        }()
        let missing = acked.filter { !names.contains($0) }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(10))")
        #expect(names.isSubset(of: Set(sent.all)), "nothing stored that was not sent")

        // The server restarts on the same store and serves everything.
        try await server.launch()
        let list = try await TestHTTP.send("GET", server.baseURL + "/ensembles/crash/workflows")
        #expect(list.status == 200)
        let served = Set((list.jsonArray ?? []).compactMap { $0["name"] as? String })
        #expect(served == names)
        #expect(try await server.terminate() == 0)

        let store = try EMStore(path: server.databasePath)
        #expect(try store.integrityCheck() == "ok")
    }
}

/// When the server was killed, to bound requests that outlive it.
///
/// AsyncHTTPClient keeps a request that waits for a pooled connection queued, retrying refused connections until
/// the request's own deadline (60 s in TestHTTP); a request sent just after the kill would hold the test that long.
final class KillClock: Sendable {
    private let time = Mutex<Date?>(nil)

    func mark() { time.withLock { $0 = Date() } }

    /// The result of `body`, or nil once the server has been dead for 2 s.
    func bounded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await Task.sleep(for: .milliseconds(100))
                    if let t = self.time.withLock({ $0 }), Date().timeIntervalSince(t) > 2 { return nil }
                }
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
