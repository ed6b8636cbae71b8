import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// `start-index`, `max-results`, `query`, `order` and `pretty-print` of the monitoring API collections.
@Suite struct MonitoringQueryTests {
    static func jobs(_ fixture: MonitoringFixture, _ label: String = "medium") throws -> String {
        "\(MonitoringClient.base)/root/\(try fixture.masterID(label))/workflow/\(try fixture.stampedeID(label))/job"
    }

    @Test func pagingFollowsTheOrder() async throws {
        let fixture = try MonitoringFixture.load()
        let jobs = try Self.jobs(fixture)
        let head = try await MonitoringClient.get("\(jobs)?max-results=15", fixture)
        let page = try await MonitoringClient.get("\(jobs)?start-index=10&max-results=5", fixture)
        #expect(page.status == .ok)
        #expect(page.ints("job_id") == Array(head.ints("job_id")[10..<15]))
        #expect(page.total == (try fixture.count("medium", "jobs")) && page.filtered == page.total)

        let total = try fixture.count("medium", "jobs")
        let tail = try await MonitoringClient.get("\(jobs)?start-index=\(total - 3)", fixture)
        #expect(tail.records.count == 3, "start-index alone pages too")
        let beyond = try await MonitoringClient.get("\(jobs)?start-index=\(total)&max-results=10", fixture)
        #expect(beyond.status == .ok && beyond.records.isEmpty && beyond.total == total)
        let none = try await MonitoringClient.get("\(jobs)?max-results=0", fixture)
        #expect(none.status == .ok && none.records.isEmpty && none.total == total)

        for bad in ["start-index=abc", "max-results=1.5", "max-results=-1", "start-index=-5", "pretty-print=maybe"] {
            let response = try await MonitoringClient.get("\(jobs)?\(bad)", fixture)
            #expect(response.status == .badRequest, "\(bad)")
            #expect(response.code == "INVALID_QUERY_ARGUMENT")
        }
    }

    @Test func queryFilters() async throws {
        let fixture = try MonitoringFixture.load()
        let jobs = try Self.jobs(fixture)
        let byType =
            try #require(try fixture.workflow("medium")["counts"] as? [String: Any])["jobs_by_type"] as? [String: Int]
        let compute = try await MonitoringClient.get(
            "\(jobs)?max-results=5&query=\(MonitoringClient.encode("j.type_desc == 'compute'"))", fixture)
        #expect(compute.status == .ok)
        #expect(compute.total == (try fixture.count("medium", "jobs")))
        #expect(compute.filtered == byType?["compute"])
        #expect(compute.strings("type_desc").allSatisfy { $0 == "compute" })

        let transfers = try await MonitoringClient.get(
            "\(jobs)?query=\(MonitoringClient.encode("j.type_desc in ('stage-in-tx', 'stage-out-tx') and j.max_retries >= 0"))",
            fixture)
        #expect(transfers.filtered == (byType?["stage-in-tx"] ?? 0) + (byType?["stage-out-tx"] ?? 0))
        #expect(transfers.records.count == transfers.filtered)

        let like = try await MonitoringClient.get(
            "\(jobs)?query=\(MonitoringClient.encode("j.exec_job_id.like('subdax%') or j.exec_job_id.like('subdag%')"))",
            fixture)
        #expect(like.filtered == (try fixture.count("medium", "sub_workflow_jobs")))

        let nothing = try await MonitoringClient.get(
            "\(jobs)?query=\(MonitoringClient.encode("j.exec_job_id == 'no such job'"))", fixture)
        #expect(nothing.status == .ok && nothing.records.isEmpty && nothing.filtered == 0)

        // An empty query is no filter.
        let empty = try await MonitoringClient.get("\(jobs)?query=&max-results=1", fixture)
        #expect(empty.status == .ok && empty.filtered == empty.total)

        // Root workflows: `r` and `ws` prefixes.
        let failed = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root?query=\(MonitoringClient.encode("ws.status != 0 and ws.status is not None"))",
            fixture)
        #expect(failed.filtered == (try fixture.masterCount("fail")))
        let small = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root?query=\(MonitoringClient.encode("r.dax_label == 'small'"))", fixture)
        #expect(small.strings("wf_uuid") == [try fixture.uuid("small")])
    }

    @Test func orderSortsAndBreaksTiesByKey() async throws {
        let fixture = try MonitoringFixture.load()
        let jobs = try Self.jobs(fixture)
        let descending = try await MonitoringClient.get(
            "\(jobs)?max-results=50&order=\(MonitoringClient.encode("-j.exec_job_id"))", fixture)
        #expect(descending.status == .ok)
        let names = descending.strings("exec_job_id")
        #expect(names.count == 50 && names == names.sorted(by: >))

        let mixed = try await MonitoringClient.get(
            "\(jobs)?order=\(MonitoringClient.encode("j.type_desc, -j.job_id"))", fixture)
        let pairs = mixed.records.compactMap { r -> (String, Int)? in
            guard let t = r["type_desc"] as? String, let id = r["job_id"] as? Int else { return nil }
            return (t, id)
        }
        #expect(pairs.count == (try fixture.count("medium", "jobs")))
        #expect(zip(pairs, pairs.dropFirst()).allSatisfy { a, b in a.0 < b.0 || (a.0 == b.0 && a.1 > b.1) })

        let roots = try await MonitoringClient.get(
            "\(MonitoringClient.base)/root?order=\(MonitoringClient.encode("-r.wf_id"))", fixture)
        let ids = roots.ints("wf_id")
        #expect(try ids == ids.sorted(by: >) && ids.count == (try fixture.masterCount("total")))

        for bad in ["j.no_such_field", "job_id", "x.job_id", "", "-"] where !bad.isEmpty {
            let response = try await MonitoringClient.get("\(jobs)?order=\(MonitoringClient.encode(bad))", fixture)
            #expect(response.status == .badRequest, "order=\(bad)")
            #expect(response.code == "INVALID_ORDER")
        }
        let rootOrder = try await MonitoringClient.get("\(MonitoringClient.base)/root?order=r.wf_i", fixture)
        #expect(rootOrder.status == .badRequest && rootOrder.code == "INVALID_ORDER")
    }

    @Test(arguments: [
        "wm.__init__.__globals__['__builtins__']['__import__']('os').system('id')",
        "j.__class__", "j.exec_job_id[0]", "__import__('os')", "j.exec_job_id == 'a' or 1=1 --",
        "j.exec_job_id == 'x'; DROP TABLE job", "ji.exitcode == 0", "r.db_url != None", "j.db_url == 1",
        "j.type_desc ==",
    ])
    func maliciousOrInvalidQueriesAreRejected(query: String) async throws {
        let fixture = try MonitoringFixture.load()
        let encoded = MonitoringClient.encode(query)
        let base =
            "\(MonitoringClient.base)/root/\(try fixture.masterID("small"))/workflow/\(try fixture.stampedeID("small"))"
        for uri in [
            "\(base)/job?query=\(encoded)", "\(base)/meta?query=\(encoded)",
            "\(MonitoringClient.base)/root?query=\(encoded)",
        ] {
            let response = try await MonitoringClient.get(uri, fixture)
            #expect(response.status == .badRequest, "\(uri)")
            #expect(response.code == "INVALID_QUERY")
            #expect(response.message?.isEmpty == false)
        }
    }

    @Test func prettyPrint() async throws {
        let fixture = try MonitoringFixture.load()
        let uri = "\(try Self.jobs(fixture, "small"))?max-results=2"
        let plain = try await MonitoringClient.get(uri, fixture)
        let compact = try await MonitoringClient.get(uri + "&pretty-print=false", fixture)
        let zero = try await MonitoringClient.get(uri + "&pretty-print=0", fixture)
        let pretty = try await MonitoringClient.get(uri + "&pretty-print=true", fixture)
        let one = try await MonitoringClient.get(uri + "&pretty-print=1", fixture)
        #expect(compact.body == plain.body && zero.body == plain.body)
        #expect(pretty.body == one.body)
        #expect(compact.body.split(separator: "\n").count == 1, "compact: one line")
        #expect(!compact.body.contains("\": "), "compact separators")
        #expect(pretty.body.contains("\n  \"_meta\": {\n    \"records_filtered\": "), "indented by two spaces")
        #expect(NSDictionary(dictionary: pretty.object).isEqual(to: compact.object))
        // Single resources too.
        let job = try #require(compact.ints("job_id").first)
        let single = try await MonitoringClient.get(
            "\(try Self.jobs(fixture, "small"))/\(job)?pretty-print=TRUE", fixture)
        #expect(single.body.hasPrefix("{\n  \""))
    }

    @Test func emptyCollectionsAreOKWithZeroCounts() async throws {
        let fixture = try MonitoringFixture.load()
        let response = try await MonitoringClient.get("\(try Self.jobs(fixture, "small"))/failed", fixture)
        #expect(try fixture.count("small", "failed") == 0)
        #expect(response.status == .ok)
        #expect(response.body == #"{"_meta":{"records_filtered":0,"records_total":0},"records":[]}"# + "\n")
    }
}
