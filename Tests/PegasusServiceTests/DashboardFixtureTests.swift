import EMTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import PegasusService

/// The monitoring fixtures as the dashboard tests read them: manifest entries and the numbers they hold.
struct DashboardFixture {
    let manifest: [String: Any]
    let home: String

    static func load() throws -> DashboardFixture {
        DashboardFixture(manifest: try ServiceFixtures.manifest(), home: try ServiceFixtures.home())
    }

    /// The manifest entry of a workflow (`small`, `medium`, ...).
    func workflow(_ label: String) throws -> [String: Any] {
        let workflows = try #require(manifest["workflows"] as? [[String: Any]])
        return try #require(workflows.first { $0["label"] as? String == label }, "no workflow \(label)")
    }

    func masterID(_ label: String) throws -> Int { try #require(try workflow(label)["master_wf_id"] as? Int) }
    func stampedeID(_ label: String) throws -> Int { try #require(try workflow(label)["stampede_wf_id"] as? Int) }
    func uuid(_ label: String) throws -> String { try #require(try workflow(label)["wf_uuid"] as? String) }
    func submitDir(_ label: String) throws -> String { try #require(try workflow(label)["submit_dir"] as? String) }

    /// `counts[key]` of a workflow's root wf_id.
    func count(_ label: String, _ key: String) throws -> Int {
        let counts = try #require(try workflow(label)["counts"] as? [String: Any])
        return try #require(counts[key] as? Int, "no count \(key) of \(label)")
    }

    /// `counts.dashboard_job_counts[key]` (Pegasus' get_workflow_job_counts).
    func jobCount(_ label: String, _ key: String) throws -> Int {
        let counts = try #require(try workflow(label)["counts"] as? [String: Any])
        let job = try #require(counts["dashboard_job_counts"] as? [String: Any])
        return try #require(job[key] as? Int, "no dashboard job count \(key) of \(label)")
    }

    /// `master_counts[key]`.
    func masterCount(_ key: String) throws -> Int {
        let counts = try #require(manifest["master_counts"] as? [String: Any])
        return try #require(counts[key] as? Int)
    }

    func subWorkflows(_ label: String) throws -> [[String: Any]] {
        try #require(try workflow(label)["sub_workflows"] as? [[String: Any]])
    }

    func jobsOfInterest(_ label: String, _ key: String) throws -> [String] {
        let lists = try #require(try workflow(label)["jobs_of_interest"] as? [String: Any])
        return try #require(lists[key] as? [String])
    }

    /// The `injection.jobs` of the hostile workflow.
    func injectedJobs() throws -> [[String: Any]] {
        let injection = try #require(try workflow("hostile")["injection"] as? [String: Any])
        return try #require(injection["jobs"] as? [[String: Any]])
    }
}

/// The fixtures with `--bulk-workflows 10000` (generated once per machine, cached by the generator).
enum BulkFixtures {
    static let directory = FileManager.default.temporaryDirectory.path + "/pegasus-service-fixtures-bulk"
    static let count = 10_000
    private static let generated = Mutex<[String: any Sendable]?>(nil)

    /// Generates (if needed) and returns the manifest.
    static func manifest() throws -> [String: Any] {
        try generated.withLock { state in
            if let state { return state }
            let script = Binaries.repositoryRoot.appendingPathComponent("tools/monitoring-fixtures/make-fixtures.sh")
            let process = Process()
            process.executableURL = script
            process.arguments = ["--bulk-workflows", String(count), "--workflows", "small,missing-db", directory]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: any Sendable])
            state = object
            return object
        }
    }
}

/// One dashboard response.
struct DashboardResponse {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: String
    let bytes: [UInt8]

    init(_ response: HummingbirdTesting.TestResponse) {
        status = response.status
        headers = response.headers
        bytes = Array(response.body.readableBytesView)
        body = String(decoding: bytes, as: UTF8.self)
    }

    /// Every `href`, `src` and `action` attribute value (HTML-unescaped `&amp;`).
    var urls: [String] {
        let pattern = /(?:href|src|action)="([^"]*)"/
        return body.matches(of: pattern).map { String($0.output.1).replacingOccurrences(of: "&amp;", with: "&") }
    }

    /// The rows of the first table with class `class` (the text between its `<tbody>` and `</tbody>`).
    func tableRows(_ cssClass: String) -> [String] {
        guard let start = body.range(of: "<table class=\"\(cssClass)"),
            let bodyStart = body.range(of: "<tbody>", range: start.upperBound..<body.endIndex),
            let end = body.range(of: "</tbody>", range: bodyStart.upperBound..<body.endIndex)
        else { return [] }
        return body[bodyStart.upperBound..<end.lowerBound].components(separatedBy: "</tr>").dropLast().map {
            String($0)
        }
    }

    /// The number in a counter `<div class="counter ..."><b>N</b>title</div>`.
    func counter(_ title: String) -> Int? {
        let pattern = try? Regex<(Substring, Substring)>("<b>(\\d+)</b>\(title)</div>")
        guard let pattern, let match = body.firstMatch(of: pattern) else { return nil }
        return Int(match.output.1)
    }
}

/// Requests against the dashboard routes, as a non-root user `monitor` whose home is the fixture home (the
/// tests may run as root, whose data the service never serves; files are read in process by the test's uid).
enum DashboardClient {
    static let user = "monitor"

    /// NoAuthentication as ``user``, whose home is `home`; `others` are more users (name to home).
    static func access(home: String, admins: AdminPolicy = .nobody, others: [String: String] = [:]) -> AccessControl {
        TestService.access(home: home, user: user, admins: admins, others: others)
    }

    /// The dashboard routes behind the real middleware, with a pinned clock.
    static func application(access: AccessControl, prefix: String = "", now: Double? = nil)
        -> some ApplicationProtocol
    {
        let links = ServiceLinks(prefix: prefix)
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: ServiceErrorMiddleware(links: links))
        let root = prefix.isEmpty ? router.group() : router.group(RouterPath(prefix))
        root.add(middleware: AuthenticationMiddleware(access: access))
        let dashboard =
            now.map { time in Dashboard(access: access, links: links, now: { time }) }
            ?? Dashboard(access: access, links: links)
        dashboard.addRoutes(to: root.group("u/:username"))
        return Application(router: router)
    }

    /// GETs each path in turn.
    static func get(
        _ paths: [String], home: String, prefix: String = "", now: Double? = nil, access: AccessControl? = nil
    ) async throws -> [DashboardResponse] {
        let app = application(access: access ?? Self.access(home: home), prefix: prefix, now: now)
        return try await app.test(.router) { client in
            var responses: [DashboardResponse] = []
            for path in paths {
                responses.append(try await client.execute(uri: path, method: .get) { DashboardResponse($0) })
            }
            return responses
        }
    }

    /// GETs one path.
    static func get(
        _ path: String, home: String, prefix: String = "", now: Double? = nil, access: AccessControl? = nil
    ) async throws -> DashboardResponse {
        try #require(try await get([path], home: home, prefix: prefix, now: now, access: access).first)
    }

    /// `/u/monitor`.
    static var base: String { "/u/\(user)" }

    /// The details page path of a root workflow.
    static func workflow(_ fixture: DashboardFixture, _ label: String) throws -> String {
        "\(base)/r/\(try fixture.masterID(label))/w/\(try fixture.stampedeID(label))"
    }

    /// A query value, percent-encoded.
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// Access, the info page and the real router.
@Suite struct DashboardAccessTests {
    @Test func anotherUsersPagesAreForbidden() async throws {
        let fixture = try DashboardFixture.load()
        let access = DashboardClient.access(home: fixture.home, others: ["alice": fixture.home])
        let medium = "/u/alice/r/\(try fixture.masterID("medium"))/w/\(try fixture.stampedeID("medium"))"
        let responses = try await DashboardClient.get(
            ["/u/alice/", medium, medium + "/browser", "/u/alice/info", "/u/root/"], home: fixture.home,
            access: access)
        for response in responses {
            #expect(response.status == .forbidden)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(!response.body.contains(try fixture.submitDir("medium")))
        }
        // An admin may look.
        let admin = DashboardClient.access(
            home: fixture.home, admins: .users([DashboardClient.user]), others: ["alice": fixture.home])
        let allowed = try await DashboardClient.get("/u/alice/", home: fixture.home, access: admin)
        #expect(allowed.status == .ok)
        #expect(allowed.counter("Total") == (try fixture.masterCount("total")))
    }

    @Test func infoPage() async throws {
        let fixture = try DashboardFixture.load()
        let response = try await DashboardClient.get("\(DashboardClient.base)/info", home: fixture.home)
        #expect(response.status == .ok)
        #expect(response.body.contains("pegasus-users@isi.edu"))
        #expect(response.body.contains("https://pegasus.isi.edu/documentation/"))
        #expect(response.body.contains("Pegasus \(Dashboard.pegasusVersion)"))
    }

    /// The pages are mounted by the real ServiceRouter too.
    @Test func servedByTheServiceRouter() async throws {
        let fixture = try DashboardFixture.load()
        let app = TestService.application(access: DashboardClient.access(home: fixture.home), prefix: "/pegasus")
        let path = "/pegasus" + (try DashboardClient.workflow(fixture, "small"))
        let (list, details) = try await app.test(.router) { client in
            (
                try await client.execute(uri: "/pegasus/u/monitor/", method: .get) { DashboardResponse($0) },
                try await client.execute(uri: path, method: .get) { DashboardResponse($0) }
            )
        }
        #expect(list.status == .ok)
        #expect(list.counter("Total") == (try fixture.masterCount("total")))
        #expect(details.status == .ok)
        #expect(details.body.contains("Workflow Details"))
    }

    @Test func unknownUserIsNotFoundForAdmins() async throws {
        let fixture = try DashboardFixture.load()
        let admin = DashboardClient.access(home: fixture.home, admins: .everybody)
        let response = try await DashboardClient.get("/u/nobody-here/", home: fixture.home, access: admin)
        #expect(response.status == .notFound)
    }
}
