// dashboard-bench: server time of the dashboard pages on the monitoring fixtures.
//
//   tools/monitoring-fixtures/make-fixtures.sh /tmp/pegasus-service-fixtures
//   tools/monitoring-fixtures/make-fixtures.sh --workflows small --bulk-workflows 10000 /tmp/dashboard-bulk
//   swift build -c release --package-path Benchmarks
//   Benchmarks/.build/release/dashboard-bench /tmp/pegasus-service-fixtures [--bulk /tmp/dashboard-bulk]
//       [--requests N] [--dump DIR]    (--dump also writes each page to DIR/pageN.html)
//
// The router of `pegasus-service` (`ServiceRouter.make`, NoAuthentication, no process switching, one shared
// in-process reader as in production) answers each request in process: the measured time is the server's,
// from the request to the last body byte, without a network. Prints a Markdown table (copied into
// docs/PERFORMANCE.md, section "Dashboard").

import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import PegasusService

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - Helpers

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Collects a response body (the writer is consumed, so it writes into a shared box).
final class BodyBox: @unchecked Sendable {
    var bytes = 0
    var text = ""
}

struct CollectingWriter: ResponseBodyWriter {
    let box: BodyBox
    let keepText: Bool

    mutating func write(_ buffer: ByteBuffer) async throws {
        box.bytes += buffer.readableBytes
        if keepText { box.text += String(buffer: buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

struct Fixture {
    let home: String
    let workflows: [[String: Any]]

    init(directory: String) throws {
        let url = URL(fileURLWithPath: directory).appendingPathComponent("manifest.json")
        let data = try Data(contentsOf: url)
        guard let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let home = manifest["home"] as? String
        else { throw BenchError("no usable manifest.json in \(directory)") }
        self.home = home
        workflows = manifest["workflows"] as? [[String: Any]] ?? []
    }

    /// `r/<master wf_id>/w/<stampede wf_id>` of a fixture workflow.
    func path(_ label: String) throws -> String {
        guard let entry = workflows.first(where: { $0["label"] as? String == label }),
            let master = entry["master_wf_id"] as? Int, let stampede = entry["stampede_wf_id"] as? Int
        else { throw BenchError("no workflow \(label) in the fixtures") }
        return "r/\(master)/w/\(stampede)"
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The service's router for one fixture home, with its responder.
struct Server {
    static let user = "bench"
    let responder: RouterResponder<ServiceRequestContext>
    let logger = Logger(label: "dashboard-bench")

    init(home: String) {
        let me = UnixUser(name: Self.user, uid: 4245, gid: 4245, home: home)
        let reader = LocalUserData()
        let access = AccessControl(
            authentication: .none, admins: .nobody, processSwitching: false, serviceUser: me,
            lookup: { $0 == me.name ? me : nil }, readers: { _ in reader })
        responder = ServiceRouter.make(access: access, links: ServiceLinks(prefix: "")).buildResponder()
    }

    /// One GET: status, body bytes and server nanoseconds.
    func get(_ path: String, keepText: Bool = false) async throws -> (Int, BodyBox, UInt64) {
        let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: path)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        // A channel of its own per request, made on the thread that uses it (EmbeddedChannel is not Sendable).
        let context = ServiceRequestContext(
            source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: logger))
        let box = BodyBox()
        let start = monotonicNanoseconds()
        let response = try await responder.respond(to: request, context: context)
        try await response.body.write(CollectingWriter(box: box, keepText: keepText))
        let elapsed = monotonicNanoseconds() - start
        return (Int(response.status.code), box, elapsed)
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(sorted.count - 1, max(0, rank))]
}

func milliseconds(_ value: Double) -> String { String(format: "%.1f", value) }

// MARK: - Main

func run() async throws {
    var arguments = Array(CommandLine.arguments.dropFirst())
    var requests = 20
    var bulk: String?
    var fixtures: String?
    var dump: String?
    while !arguments.isEmpty {
        let argument = arguments.removeFirst()
        switch argument {
        case "--requests":
            requests = Int(arguments.first ?? "") ?? requests
            if !arguments.isEmpty { arguments.removeFirst() }
        case "--bulk":
            bulk = arguments.isEmpty ? nil : arguments.removeFirst()
        case "--dump":
            dump = arguments.isEmpty ? nil : arguments.removeFirst()
        case "-h", "--help":
            print("usage: dashboard-bench FIXTURES [--bulk BULK_FIXTURES] [--requests N] [--dump DIR]")
            return
        default:
            fixtures = argument
        }
    }
    guard let fixtures else {
        throw BenchError("usage: dashboard-bench FIXTURES [--bulk BULK_FIXTURES] [--requests N]")
    }
    let fixture = try Fixture(directory: fixtures)
    let home = fixture.home
    let large = try fixture.path("large")
    let user = "/u/\(Server.user)"
    var pages: [(String, String, String)] = [
        ("charts of `large` (100,000 jobs)", home, "\(user)/\(large)/charts"),
        ("statistics of `large`, job page 1", home, "\(user)/\(large)/statistics"),
        ("statistics of `large`, job page 1000", home, "\(user)/\(large)/statistics?page=1000"),
        ("workflow details of `large`", home, "\(user)/\(large)"),
        ("charts of `medium` (1,000 jobs, 2 sub-workflows)", home, "\(user)/\(try fixture.path("medium"))/charts"),
        ("statistics of `medium`", home, "\(user)/\(try fixture.path("medium"))/statistics"),
        ("charts of `small` (10 jobs)", home, "\(user)/\(try fixture.path("small"))/charts"),
    ]
    // The monitoring API on the same workflow: `large` is `r/<root>/w/<wf>`.
    let ids = large.split(separator: "/")
    if ids.count == 4 {
        let jobs = "/api/v1/user/\(Server.user)/root/\(ids[1])/workflow/\(ids[3])/job"
        pages.append(("API: jobs of `large`, first 100", home, jobs + "?max-results=100"))
        pages.append(("API: jobs of `large`, last 100", home, jobs + "?start-index=99900&max-results=100"))
        pages.append(("API: successful jobs of `large`, first 100", home, jobs + "/successful?max-results=100"))
    }
    if let bulk {
        let bulkFixture = try Fixture(directory: bulk)
        let count = (try? Data(contentsOf: URL(fileURLWithPath: bulk + "/manifest.json")))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            .flatMap { ($0["master_counts"] as? [String: Any])?["total"] as? Int }
        pages.append(("workflow list, \(count.map(String.init) ?? "bulk") workflows", bulkFixture.home, "\(user)/"))
        pages.append(
            (
                "API: root workflows, first 100 of the bulk set", bulkFixture.home,
                "/api/v1/user/\(Server.user)/root?max-results=100"
            ))
    }
    print("| Page | First ms | Requests | p50 ms | p99 ms | min ms | max ms | Body KiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for (index, (title, home, path)) in pages.enumerated() {
        // A fresh service per page: the first request opens the databases; the next ones find them open and
        // cached, like a running service.
        let server = Server(home: home)
        let (status, first, coldNanoseconds) = try await server.get(path, keepText: dump != nil)
        guard status == 200 else { throw BenchError("\(path): HTTP \(status)") }
        if let dump {
            try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
            try first.text.write(toFile: "\(dump)/page\(index + 1).html", atomically: true, encoding: .utf8)
        }
        _ = try await server.get(path)
        var times: [Double] = []
        var bytes = 0
        for _ in 0..<requests {
            let (_, box, nanoseconds) = try await server.get(path)
            times.append(Double(nanoseconds) / 1e6)
            bytes = box.bytes
        }
        times.sort()
        print(
            "| \(title) | \(milliseconds(Double(coldNanoseconds) / 1e6)) | \(requests) "
                + "| \(milliseconds(percentile(times, 50))) | \(milliseconds(percentile(times, 99))) "
                + "| \(milliseconds(times.first ?? .nan)) | \(milliseconds(times.last ?? .nan)) "
                + "| \(String(format: "%.0f", Double(bytes) / 1024)) |")
    }
}

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("dashboard-bench: \(error)\n".utf8))
    exit(1)
}
