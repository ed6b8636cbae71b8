import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// The fixture workflows and their manifest entries, for the monitoring API tests.
struct MonitoringFixture {
    let manifest: [String: Any]
    let home: String

    static func load() throws -> MonitoringFixture {
        let manifest = try ServiceFixtures.manifest()
        return MonitoringFixture(manifest: manifest, home: try ServiceFixtures.home())
    }

    /// The manifest entry of a workflow (`small`, `medium`, ...).
    func workflow(_ label: String) throws -> [String: Any] {
        let workflows = try #require(manifest["workflows"] as? [[String: Any]])
        return try #require(workflows.first { $0["label"] as? String == label }, "no workflow \(label) in manifest")
    }

    /// `counts[key]` of a workflow (its root wf_id only).
    func count(_ label: String, _ key: String) throws -> Int {
        let counts = try #require(try workflow(label)["counts"] as? [String: Any])
        return try #require(counts[key] as? Int, "no count \(key) for \(label)")
    }

    /// `table_rows[table]` of a workflow's STAMPEDE database.
    func tableRows(_ label: String, _ table: String) throws -> Int {
        let rows = try #require(try workflow(label)["table_rows"] as? [String: Any])
        return try #require(rows[table] as? Int)
    }

    func uuid(_ label: String) throws -> String { try #require(try workflow(label)["wf_uuid"] as? String) }
    func masterID(_ label: String) throws -> Int { try #require(try workflow(label)["master_wf_id"] as? Int) }
    func stampedeID(_ label: String) throws -> Int { try #require(try workflow(label)["stampede_wf_id"] as? Int) }

    /// The sub-workflow entries of a workflow.
    func subWorkflows(_ label: String) throws -> [[String: Any]] {
        try #require(try workflow(label)["sub_workflows"] as? [[String: Any]])
    }

    /// `jobs_of_interest[key]` (medium, running).
    func jobsOfInterest(_ label: String, _ key: String) throws -> [String] {
        let lists = try #require(try workflow(label)["jobs_of_interest"] as? [String: Any])
        return try #require(lists[key] as? [String])
    }

    /// `master_counts[key]`.
    func masterCount(_ key: String) throws -> Int {
        let counts = try #require(manifest["master_counts"] as? [String: Any])
        return try #require(counts[key] as? Int)
    }
}

/// Access control and requests for the monitoring API tests.
///
/// The tests may run as root, whose data the service never serves, so the fixture home belongs to a made-up
/// non-root user (`monitor`); files are read in process by the test's own uid.
enum MonitoringClient {
    static let userName = "monitor"
    static var base: String { "/api/v1/user/\(userName)" }

    /// NoAuthentication as ``userName``, whose home is `home`; `others` are more users (name to home).
    static func access(home: String, admins: AdminPolicy = .nobody, others: [String: String] = [:]) -> AccessControl {
        TestService.access(home: home, user: userName, admins: admins, others: others)
    }

    /// GETs one URI.
    static func get(_ uri: String, access: AccessControl, prefix: String = "") async throws -> APIResponse {
        let app = TestService.application(access: access, prefix: prefix)
        return try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .get) { APIResponse($0) }
        }
    }

    /// GETs one URI as `monitor` with the fixture home.
    static func get(_ uri: String, _ fixture: MonitoringFixture) async throws -> APIResponse {
        try await get(uri, access: access(home: fixture.home))
    }

    /// A query-string value, percent-encoded (`+`, `&`, `=` and `#` included).
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// A response of the API, with its JSON decoded.
struct APIResponse {
    let status: HTTPResponse.Status
    let contentType: String?
    let body: String
    let json: Any?

    init(_ response: TestResponse) {
        status = response.status
        contentType = response.headers[.contentType]
        body = String(buffer: response.body)
        json = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
    }

    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var records: [[String: Any]] { object["records"] as? [[String: Any]] ?? [] }
    var meta: [String: Any] { object["_meta"] as? [String: Any] ?? [:] }
    var total: Int? { meta["records_total"] as? Int }
    var filtered: Int? { meta["records_filtered"] as? Int }
    var code: String? { object["code"] as? String }
    var message: String? { object["message"] as? String }

    /// An integer field of every record.
    func ints(_ key: String) -> [Int] { records.compactMap { $0[key] as? Int } }
    /// A string field of every record.
    func strings(_ key: String) -> [String] { records.compactMap { $0[key] as? String } }
}

// MARK: - Root workflows and workflows

/// `/root`, `/root/<m_wf_id>`, `/root/<m>/workflow[/<wf_id>[/meta|files|state]]`.
@Suite struct MonitoringAPIWorkflowTests {
    @Test func rootsListEveryMasterWorkflowWithItsLatestState() async throws {
        let fixture = try MonitoringFixture.load()
        let response = try await MonitoringClient.get("\(MonitoringClient.base)/root", fixture)
        #expect(response.status == .ok)
        #expect(response.contentType == "application/json")
        let total = try fixture.masterCount("total")
        #expect(response.records.count == total)
        #expect(response.total == total && response.filtered == total)
        #expect(!response.body.contains("db_url"), "db_url is withheld")
        let medium = try #require(response.records.first { $0["wf_uuid"] as? String == (try? fixture.uuid("medium")) })
        #expect(medium["dax_label"] as? String == "medium")
        #expect(medium["archived"] as? Bool == false)
        let state = try #require(medium["workflow_state"] as? [String: Any])
        #expect(state["state"] as? String == "WORKFLOW_TERMINATED")
        #expect(state["status"] as? Int == (try fixture.workflow("medium")["status"] as? Int))
        // Timestamps are floats, as Pegasus serialises NUMERIC columns.
        #expect(response.body.range(of: #""timestamp":[0-9]+\.[0-9]+"#, options: .regularExpression) != nil)
        // The counters of the dashboard's workflow list: a running workflow has no terminated state.
        let running = response.records.filter {
            ($0["workflow_state"] as? [String: Any])?["status"] == nil
                || ($0["workflow_state"] as? [String: Any])?["status"] is NSNull
        }
        #expect(running.count == (try fixture.masterCount("others")))
    }

    @Test func rootByIDOrUUID() async throws {
        let fixture = try MonitoringFixture.load()
        let byID = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root/\(try fixture.masterID("running"))", fixture)
        let byUUID = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root/\(try fixture.uuid("running"))", fixture)
        #expect(byID.status == .ok && byUUID.status == .ok)
        #expect(byID.body == byUUID.body)
        #expect(byID.object["wf_id"] as? Int == (try fixture.masterID("running")))
        let state = try #require(byID.object["workflow_state"] as? [String: Any])
        #expect(state["state"] as? String == "WORKFLOW_STARTED")
        #expect(state["status"] is NSNull)

        let unknown = try await MonitoringClient.get("\(MonitoringClient.base)/root/99999", fixture)
        #expect(unknown.status == .notFound)
        #expect(unknown.code == "NOT_FOUND")
        let unknownUUID = try await MonitoringClient.get("\(MonitoringClient.base)/root/no-such-uuid", fixture)
        #expect(unknownUUID.status == .notFound)
    }

    @Test func workflowsOfARootIncludeItsSubWorkflows() async throws {
        let fixture = try MonitoringFixture.load()
        let base = "\(MonitoringClient.base)/root/\(try fixture.masterID("medium"))/workflow"
        let response = try await MonitoringClient.get(base, fixture)
        #expect(response.status == .ok)
        let subs = try fixture.subWorkflows("medium")
        #expect(response.total == 1 + subs.count)
        #expect(response.records.count == 1 + subs.count)
        #expect(
            Set(response.strings("wf_uuid"))
                == Set([try fixture.uuid("medium")] + subs.compactMap { $0["wf_uuid"] as? String }))
        #expect(!response.body.contains("db_url"))
        for sub in subs {
            let uuid = try #require(sub["wf_uuid"] as? String)
            let byUUID = try await MonitoringClient.get("\(base)/\(uuid)", fixture)
            #expect(byUUID.status == .ok)
            #expect(byUUID.object["wf_id"] as? Int == sub["stampede_wf_id"] as? Int)
            #expect(byUUID.object["parent_wf_id"] as? Int == sub["parent_wf_id"] as? Int)
            #expect(byUUID.object["root_wf_id"] as? Int == sub["root_wf_id"] as? Int)
            let byID = try await MonitoringClient.get("\(base)/\(try #require(sub["stampede_wf_id"] as? Int))", fixture)
            #expect(byID.body == byUUID.body)
        }
        // A workflow of another root is not found under this one.
        let foreign = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root/\(try fixture.masterID("small"))/workflow/\(try #require(subs.first?["wf_uuid"] as? String))",
            fixture)
        #expect(foreign.status == .notFound)
        let missing = try await MonitoringClient.get("\(base)/424242", fixture)
        #expect(missing.status == .notFound && missing.code == "NOT_FOUND")
    }

    @Test func metaAndFilesAreThoseOfTheRequestedWorkflow() async throws {
        let fixture = try MonitoringFixture.load()
        let base = "\(MonitoringClient.base)/root/\(try fixture.masterID("medium"))/workflow"
        let ids =
            [try fixture.stampedeID("medium")]
            + (try fixture.subWorkflows("medium")).compactMap { $0["stampede_wf_id"] as? Int }
        var metaTotal = 0
        var filesTotal = 0
        for id in ids {
            let meta = try await MonitoringClient.get("\(base)/\(id)/meta", fixture)
            #expect(meta.status == .ok)
            #expect(meta.ints("wf_id").allSatisfy { $0 == id }, "meta of workflow \(id)")
            metaTotal += meta.total ?? 0
            let files = try await MonitoringClient.get("\(base)/\(id)/files", fixture)
            #expect(files.status == .ok)
            #expect(files.ints("wf_id").allSatisfy { $0 == id }, "files of workflow \(id)")
            #expect(files.records.count == files.total)
            filesTotal += files.total ?? 0
        }
        // Pegasus answered the root's rows for every workflow; per workflow they add up to the table.
        #expect(metaTotal == (try fixture.tableRows("medium", "workflow_meta")))
        #expect(filesTotal == (try fixture.tableRows("medium", "workflow_files")))
    }

    @Test func filesCarryTheirLFNsPFNsAndMetadata() async throws {
        let fixture = try MonitoringFixture.load()
        let base =
            "\(MonitoringClient.base)/root/\(try fixture.masterID("small"))/workflow/\(try fixture.stampedeID("small"))"
        let files = try await MonitoringClient.get("\(base)/files", fixture)
        #expect(files.status == .ok)
        #expect(files.total == (try fixture.tableRows("small", "workflow_files")))
        for record in files.records {
            #expect(record["lfn"] is String)
            #expect(record["pfns"] is [Any])
            #expect(record["meta"] is [Any])
            #expect(record["task_id"] is Int && record["lfn_id"] is Int)
        }
        // Every PFN and every metadata row of the replica catalog belongs to one of the files.
        let lfnIDs = Set(files.ints("lfn_id"))
        let pfns = files.records.flatMap { $0["pfns"] as? [[String: Any]] ?? [] }
        let meta = files.records.flatMap { $0["meta"] as? [[String: Any]] ?? [] }
        let uniquePFNs = Set(pfns.compactMap { $0["pfn_id"] as? Int })
        #expect(uniquePFNs.count == (try fixture.tableRows("small", "rc_pfn")))
        #expect(pfns.allSatisfy { lfnIDs.contains($0["lfn_id"] as? Int ?? -1) })
        let uniqueMeta = Set(meta.compactMap { "\($0["lfn_id"] ?? "")/\($0["key"] ?? "")" })
        #expect(uniqueMeta.count == (try fixture.tableRows("small", "rc_meta")))

        // A query over PFNs keeps one record per file and never counts more than the total.
        let withPFN = try await MonitoringClient.get(
            "\(base)/files?query=\(MonitoringClient.encode("p.pfn != None"))", fixture)
        #expect(withPFN.status == .ok)
        let filesWithPFN = files.records.filter { !($0["pfns"] as? [Any] ?? []).isEmpty }.count
        #expect(withPFN.filtered == filesWithPFN)
        #expect(withPFN.total == files.total)
        let ordered = try await MonitoringClient.get(
            "\(base)/files?order=\(MonitoringClient.encode("-l.lfn"))", fixture)
        #expect(ordered.status == .ok)
        let lfns = ordered.strings("lfn")
        #expect(lfns == lfns.sorted(by: >))
        let withMeta = try await MonitoringClient.get(
            "\(base)/files?order=\(MonitoringClient.encode("-p.pfn, rm.value"))&query=\(MonitoringClient.encode("rm.key != None"))",
            fixture)
        #expect(withMeta.status == .ok)
        #expect(withMeta.filtered == files.records.filter { !($0["meta"] as? [Any] ?? []).isEmpty }.count)
        let firstPFNs = withMeta.records.compactMap {
            ($0["pfns"] as? [[String: Any]])?.compactMap { $0["pfn"] as? String }.min()
        }
        #expect(firstPFNs == firstPFNs.sorted(by: >), "files with PFNs first, by their smallest PFN, descending")
    }

    @Test func workflowStates() async throws {
        let fixture = try MonitoringFixture.load()
        for label in ["small", "running"] {
            let response = try await MonitoringClient.get(
                "\(MonitoringClient.base)/root/\(try fixture.masterID(label))/workflow/\(try fixture.stampedeID(label))/state",
                fixture)
            #expect(response.status == .ok)
            #expect(response.total == (try fixture.tableRows(label, "workflowstate")))
            #expect(response.strings("state").first == "WORKFLOW_STARTED")
            let timestamps = response.records.compactMap { $0["timestamp"] as? Double }
            #expect(timestamps == timestamps.sorted())
        }
    }
}
