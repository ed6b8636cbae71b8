import EMTestSupport
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// Who may read what through the monitoring API, URL prefixes, a missing STAMPEDE database, and speed on the
/// `large` fixture.
@Suite struct MonitoringAccessTests {
    /// A second home whose master database holds only the `small` workflow.
    static func secondHome(_ fixture: MonitoringFixture) throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory(prefix: "monitoring-second-home")
        let home = directory.file("someone")
        try FileManager.default.createDirectory(atPath: home + "/.pegasus", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: fixture.home + "/.pegasus/workflow.db", toPath: home + "/.pegasus/workflow.db")
        let queue = try DatabaseQueue(path: home + "/.pegasus/workflow.db")
        try queue.write { db in
            try db.execute(
                sql:
                    "DELETE FROM master_workflowstate WHERE wf_id IN (SELECT wf_id FROM master_workflow WHERE dax_label != 'small')"
            )
            try db.execute(sql: "DELETE FROM master_workflow WHERE dax_label != 'small'")
        }
        try queue.close()
        return (directory, home)
    }

    @Test func anotherUsersDataNeedsAdminRights() async throws {
        let fixture = try MonitoringFixture.load()
        let (directory, home2) = try Self.secondHome(fixture)
        defer { directory.remove() }
        let uri = "/api/v1/user/someone/root"
        let denied = try await MonitoringClient.get(
            uri, access: MonitoringClient.access(home: fixture.home, others: ["someone": home2]))
        #expect(denied.status == .forbidden)
        #expect(denied.code == "FORBIDDEN")
        #expect(!denied.body.contains("small"))

        let admin = MonitoringClient.access(home: fixture.home, admins: .everybody, others: ["someone": home2])
        let allowed = try await MonitoringClient.get(uri, access: admin)
        #expect(allowed.status == .ok)
        #expect(allowed.strings("wf_uuid") == [try fixture.uuid("small")], "someone's own master database")
        let deep = try await MonitoringClient.get(
            "/api/v1/user/someone/root/\(try fixture.uuid("small"))/workflow/\(try fixture.stampedeID("small"))/job",
            access: admin)
        #expect(try deep.status == .ok && deep.total == (try fixture.count("small", "jobs")))
        let notTheirs = try await MonitoringClient.get(
            "/api/v1/user/someone/root/\(try fixture.uuid("medium"))", access: admin)
        #expect(notTheirs.status == .notFound)

        // root's data is never served, not even to admins.
        let root = try await MonitoringClient.get("/api/v1/user/root/root", access: admin)
        #expect(root.status == .forbidden)
        let rootDeep = try await MonitoringClient.get(
            "/api/v1/user/root/root/1/workflow/1/job", access: MonitoringClient.access(home: fixture.home))
        #expect(rootDeep.status == .forbidden)
    }

    @Test func servedUnderAURLPrefix() async throws {
        let fixture = try MonitoringFixture.load()
        let access = MonitoringClient.access(home: fixture.home)
        let prefixed = try await MonitoringClient.get(
            "/pegasus\(MonitoringClient.base)/root", access: access, prefix: "/pegasus")
        #expect(prefixed.status == .ok)
        #expect(prefixed.total == (try fixture.masterCount("total")))
        let bare = try await MonitoringClient.get("\(MonitoringClient.base)/root", access: access, prefix: "/pegasus")
        #expect(bare.status == .notFound)
        let unknownRoute = try await MonitoringClient.get(
            "/pegasus\(MonitoringClient.base)/nothing-here", access: access, prefix: "/pegasus")
        #expect(unknownRoute.status == .notFound && unknownRoute.code == "NOT_FOUND")
    }

    @Test func missingStampedeDatabaseIsNotFound() async throws {
        let fixture = try MonitoringFixture.load()
        let entry = try fixture.workflow("missing-db")
        #expect(entry["stampede_db_exists"] as? Bool == false)
        let root = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root/\(try fixture.masterID("missing-db"))", fixture)
        #expect(root.status == .ok, "the master row is still listed")
        for path in ["workflow", "workflow/1", "workflow/1/job", "workflow/1/job/running", "workflow/1/files"] {
            let response = try await MonitoringClient.get(
                "\(MonitoringClient.base)/root/\(try fixture.uuid("missing-db"))/\(path)", fixture)
            #expect(response.status == .notFound, "\(path)")
            #expect(response.code == "NOT_FOUND")
            #expect(response.message?.contains("missing-db") == true, "names the workflow: \(response.message ?? "")")
            #expect(response.message?.contains("missing") == true)
        }
    }

    @Test func noMasterDatabaseMeansNoWorkflows() async throws {
        let directory = try TemporaryDirectory(prefix: "monitoring-empty-home")
        defer { directory.remove() }
        let access = MonitoringClient.access(home: directory.path)
        let list = try await MonitoringClient.get("\(MonitoringClient.base)/root", access: access)
        #expect(list.status == .ok)
        #expect(list.body == #"{"_meta":{"records_filtered":0,"records_total":0},"records":[]}"# + "\n")
        let one = try await MonitoringClient.get("\(MonitoringClient.base)/root/1/workflow", access: access)
        #expect(one.status == .notFound)
    }

    /// Paging through the 100,000-job workflow answers pages of 100 (the speed itself is measured by
    /// Benchmarks/Sources/dashboard-bench, not asserted here).
    @Test func largeWorkflowPages() async throws {
        let fixture = try MonitoringFixture.load()
        let base =
            "\(MonitoringClient.base)/root/\(try fixture.masterID("large"))/workflow/\(try fixture.stampedeID("large"))"
        let access = MonitoringClient.access(home: fixture.home)
        let app = TestService.application(access: access)
        let jobs = try fixture.count("large", "jobs")
        try await app.test(.router) { client in
            var timings: [(String, Duration)] = []
            for uri in [
                "\(base)/job?max-results=100", "\(base)/job?max-results=100",
                "\(base)/job?start-index=99900&max-results=100",
                "\(base)/job?max-results=100&order=-j.exec_job_id",
                "\(base)/job?max-results=100&query=\(MonitoringClient.encode("j.type_desc == 'cleanup'"))",
                "\(base)/job/successful?max-results=100", "\(base)/invocation?max-results=100",
            ] {
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await client.execute(uri: uri, method: .get) { APIResponse($0) }
                let elapsed = clock.now - start
                timings.append((uri.replacingOccurrences(of: base, with: ""), elapsed))
                #expect(response.status == .ok, "\(uri)")
                #expect(response.records.count == 100, "\(uri)")
                if uri.hasSuffix("/job?max-results=100") { #expect(response.total == jobs) }
            }
            for (uri, elapsed) in timings { print("large \(uri): \(elapsed)") }
        }
    }
}
