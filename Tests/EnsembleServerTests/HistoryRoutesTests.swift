import EMTestSupport
import EnsembleCore
import EnsembleServer
import EnsembleStore
import Foundation
import HTTPTypes
import Testing
import TriggerKit

/// The history routes of issue 15: `GET .../triggers/T/files`, the paged workflow and trigger lists (and the
/// unpaged ones left as Pegasus' client reads them), `input_files` of a workflow, and the 400s of bad parameters.
@Suite(.timeLimit(.minutes(2)))
struct HistoryRoutesTests {
    @Test("trigger files: every field, newest first, the next page by cursor, and the input files of the workflow")
    func triggerFilesRoute() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            let t = try await HistoryStoreTests.fileTrigger(
                harness.store, "files", basedir: harness.basedir, skipping: [HistoryStoreTests.file(0)])
            let files = (1...3).map { HistoryStoreTests.file($0) }
            let workflow = try #require(
                try await harness.store.submitTriggerFiles(id: t.id!, files: files, nextFire: nil).workflow)

            let first = try await api.get("/ensembles/e/triggers/files/files?limit=2")
            #expect(first.status == 200, "\(first.body)")
            let rows = try #require(first.object["files"] as? [[String: Any]])
            #expect(rows.map { $0["path"] as? String } == ["/data/in/f3.dat", "/data/in/f2.dat"])
            let row = rows[0]
            #expect(row["device"] as? Int == 7 && row["inode"] as? Int == 4 && row["size"] as? Int == 3)
            #expect(row["mtime"] as? Double == 0.000001)
            #expect((row["recorded"] as? Double).map { abs($0 - EMStore.now()) < 60 } == true)
            #expect(row["trigger"] as? String == "files" && row["workflow"] as? String == workflow)
            #expect(row["workflow_state"] as? String == "READY" && row["moved_to"] is NSNull)
            #expect(row["skipped_existing"] as? Bool == false)
            let next = try #require(first.object["next"] as? String)

            let second = try await api.get("/ensembles/e/triggers/files/files?limit=2&after=\(next)")
            let more = try #require(second.object["files"] as? [[String: Any]])
            #expect(more.map { $0["path"] as? String } == ["/data/in/f1.dat", "/data/in/f0.dat"])
            #expect(more[1]["workflow"] is NSNull && more[1]["workflow_state"] is NSNull)
            #expect(more[1]["skipped_existing"] as? Bool == true)
            #expect(second.object["next"] is NSNull)

            let exact = try await api.get("/ensembles/e/triggers/files/files?path=%2Fdata%2Fin%2Ff2.dat")
            #expect((exact.object["files"] as? [[String: Any]])?.map { $0["workflow"] as? String } == [workflow])
            let glob = try await api.get("/ensembles/e/triggers/files/files?path=*/f%5B12%5D.dat")
            #expect((glob.object["files"] as? [[String: Any]])?.count == 2, "\(glob.body)")
            for since in ["2h", "1d12h", "2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00.5%2B01:00", "0"] {
                let reply = try await api.get("/ensembles/e/triggers/files/files?since=\(since)")
                #expect((reply.object["files"] as? [Any])?.count == 4, "since=\(since): \(reply.body)")
            }
            let future = try await api.get("/ensembles/e/triggers/files/files?since=\(Int(EMStore.now()) + 3600)")
            #expect((future.object["files"] as? [Any])?.isEmpty == true)

            let detail = try await api.get("/ensembles/e/workflows/\(workflow)")
            let inputs = try #require(detail.object["input_files"] as? [[String: Any]])
            #expect(inputs.map { $0["path"] as? String } == files.map(\.path))
            #expect(inputs.allSatisfy { $0["trigger"] as? String == "files" && $0["recorded"] is Double })
            try await api.submit("e", "byhand", basedir: harness.basedir)
            let plain = try await api.get("/ensembles/e/workflows/byhand")
            #expect((plain.object["input_files"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("Bad parameters are 400 with a message; an unknown trigger is 404")
    func badParameters() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            _ = try await HistoryStoreTests.fileTrigger(harness.store, "files", basedir: harness.basedir)
            try await api.submit("e", "w1", basedir: harness.basedir)
            try await api.submit("e", "w2", basedir: harness.basedir)
            let workflowsCursor = try #require(
                try await api.get("/ensembles/e/workflows?limit=1").object["next"] as? String)
            let bad = [
                ("/ensembles/e/triggers/files/files?limit=0", "limit must be an integer from 1 to 1000: 0"),
                ("/ensembles/e/triggers/files/files?limit=1001", "limit must be an integer from 1 to 1000: 1001"),
                ("/ensembles/e/triggers/files/files?limit=ten", "limit must be an integer from 1 to 1000: ten"),
                ("/ensembles/e/triggers/files/files?path=", "path must be a path or a glob pattern, not empty"),
                ("/ensembles/e/triggers/files/files?after=garbage", "after is not a cursor of this list: garbage"),
                (
                    "/ensembles/e/triggers/files/files?after=\(workflowsCursor)",
                    "after is not a cursor of this list: \(workflowsCursor)"
                ),
                ("/ensembles/e/workflows?state=DONE", "Invalid workflow state: DONE"),
                ("/ensembles/e/workflows?state=READY,", "Invalid workflow state: "),
                ("/ensembles/e/workflows?limit=-1", "limit must be an integer from 1 to 1000: -1"),
                ("/ensembles/e/workflows?after=", "after is not a cursor of this list: "),
                ("/ensembles/e/triggers?state=READY", "Invalid trigger state: READY"),
                ("/ensembles/e/triggers?after=\(workflowsCursor)", "after is not a cursor of this list"),
            ]
            for (uri, message) in bad {
                let reply = try await api.get(uri)
                #expect(reply.status == 400, "\(uri): \(reply.status) \(reply.body)")
                #expect(reply.message?.hasPrefix(message) == true, "\(uri): \(reply.body)")
            }
            for since in ["yesterday", "-5", "2026-13-45", "1.5h", "nan"] {
                let reply = try await api.get("/ensembles/e/triggers/files/files?since=\(since)")
                #expect(reply.status == 400, "since=\(since): \(reply.body)")
                #expect(reply.message?.hasPrefix("since must be seconds since the epoch") == true, "\(reply.body)")
            }
            #expect(try await api.get("/ensembles/e/triggers/nope/files").status == 404)
            #expect(try await api.get("/ensembles/nope/triggers/files/files").status == 404)
            #expect(try await api.get("/ensembles/nope/workflows?limit=5").status == 404)
            #expect(try await api.send(.post, "/ensembles/e/triggers/files/files").status == 405)
        }
    }

    @Test("Lists: the unpaged form stays an array; the paged form filters by state and pages by cursor")
    func pagedLists() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            for n in 1...5 { try await api.submit("e", "w\(n)", basedir: harness.basedir) }
            try await harness.setState("e", "w2", .successful)
            try await harness.setState("e", "w4", .failed)
            let unpaged = try await api.get("/ensembles/e/workflows")
            #expect(unpaged.array.map { $0["name"] as? String } == ["w1", "w2", "w3", "w4", "w5"])
            #expect(try await api.get("/ensembles/e/workflows?other=1").body == unpaged.body)

            let page = try await api.get("/ensembles/e/workflows?limit=2")
            let workflows = try #require(page.object["workflows"] as? [[String: Any]])
            #expect(workflows.map { $0["name"] as? String } == ["w1", "w2"])
            // The same summary objects as the unpaged list.
            let summary = try JSONSerialization.data(withJSONObject: workflows[0], options: .sortedKeys)
            let unpagedSummary = try JSONSerialization.data(withJSONObject: unpaged.array[0], options: .sortedKeys)
            #expect(summary == unpagedSummary)
            let filtered = try await api.get("/ensembles/e/workflows?state=successful,FAILED")
            #expect(
                (filtered.object["workflows"] as? [[String: Any]])?.map { $0["name"] as? String } == ["w2", "w4"])
            #expect(filtered.object["next"] is NSNull)
            let repeated = try await api.get("/ensembles/e/workflows?state=READY&state=FAILED")
            #expect(
                (repeated.object["workflows"] as? [[String: Any]])?.map { $0["name"] as? String }
                    == ["w1", "w3", "w4", "w5"])

            for name in ["a", "b", "c"] {
                _ = try await HistoryStoreTests.fileTrigger(harness.store, name, basedir: harness.basedir)
            }
            try await harness.setTriggerState("e", "b", .paused)
            #expect(try await api.get("/ensembles/e/triggers").array.count == 3)
            let triggers = try await api.get("/ensembles/e/triggers?state=RUNNING&limit=1")
            #expect((triggers.object["triggers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a"])
            let next = try #require(triggers.object["next"] as? String)
            let rest = try await api.get("/ensembles/e/triggers?state=RUNNING&limit=1&after=\(next)")
            #expect((rest.object["triggers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["c"])
            #expect(rest.object["next"] is NSNull)
        }
    }

    @Test("Paging over real HTTP while workflows are submitted: each workflow at most once, none skipped")
    func pagingWhileSubmitting() async throws {
        try await APIHarness.with(live: true) { harness, api in
            try await api.createEnsemble("e")
            for n in 0..<60 { try await api.submit("e", "old\(n)", basedir: harness.basedir) }
            let seen = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    for n in 0..<40 { try await api.submit("e", "new\(n)", basedir: harness.basedir) }
                    return []
                }
                group.addTask {
                    var names: [String] = []
                    var after: String?
                    repeat {
                        let query = "limit=3" + (after.map { "&after=\($0)" } ?? "")
                        let reply = try await api.get("/ensembles/e/workflows?" + query)
                        try #require(reply.status == 200, "\(reply.body)")
                        names += (reply.object["workflows"] as? [[String: Any]] ?? []).compactMap {
                            $0["name"] as? String
                        }
                        after = reply.object["next"] as? String
                    } while after != nil
                    return names
                }
                var all: [String] = []
                for try await names in group { all += names }
                return all
            }
            let everything = try await api.get("/ensembles/e/workflows").array.compactMap { $0["name"] as? String }
            #expect(everything.count == 100)
            // No duplicates; every workflow there before paging began; and no gap: what was seen is a prefix of the
            // workflows in id (= submission) order.
            #expect(Set(seen).count == seen.count, "duplicates in \(seen)")
            #expect((0..<60).allSatisfy { seen.contains("old\($0)") })
            #expect(seen == Array(everything.prefix(seen.count)), "\(seen)")
            // Paging again after the submissions sees each of the 100 once.
            var again: [String] = []
            var after: String?
            repeat {
                let reply = try await api.get("/ensembles/e/workflows?limit=7" + (after.map { "&after=\($0)" } ?? ""))
                again += (reply.object["workflows"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                after = reply.object["next"] as? String
            } while after != nil
            #expect(again == everything)
        }
    }
}
