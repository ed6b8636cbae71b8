import ArgumentParser
import EnsembleCore
import Foundation
import Testing

@testable import EMClient

/// The outputs and options of issue 15: `trigger-files`, the input files of `status`, the next-page line, and
/// the paging options of `workflows` and `triggers`.
@Suite(.timeLimit(.minutes(1))) struct HistoryFormattingTests {
    let utc = OutputFormatter(timestamps: TimestampFormatter(timeZoneIdentifier: "UTC"))

    @Test func triggerFilesTable() {
        let page = TriggerFilesPage(
            files: [
                LedgerFileResource(
                    path: "/data/in/b.txt", recorded: 1_700_000_100.9, trigger: "files", workflow: "files_1700000100",
                    workflowState: "SUCCESSFUL", movedTo: "/data/in/processed/b.txt"),
                LedgerFileResource(
                    path: "/data/in/a.txt", recorded: 1_700_000_000, trigger: "files@3", workflow: "files_1700000000",
                    workflowState: nil),
                LedgerFileResource(
                    path: "/data/in/old.txt", recorded: 1_699_999_000, trigger: "files", workflow: nil,
                    workflowState: nil, skippedExisting: true),
            ], next: "djE6ZjoxMg")
        let expected = """
            RECORDED                 WORKFLOW                       STATE        PATH
            2023-11-14 22:15:00 UTC  files_1700000100               SUCCESSFUL   /data/in/b.txt -> /data/in/processed/b.txt
            2023-11-14 22:13:20 UTC  files_1700000000               (deleted)    /data/in/a.txt [trigger files@3]
            2023-11-14 21:56:40 UTC  (skipped at creation)          -            /data/in/old.txt

            """
        #expect(utc.triggerFiles(page, trigger: "files") == expected)
        #expect(utc.triggerFiles(TriggerFilesPage(files: [], next: nil), trigger: "t") == "No recorded files match.\n")
        #expect(
            utc.nextPage(["pegasus-em", "trigger-files", "e", "t", "--path", "/in/*.txt"], after: "djE6ZjoxMg")
                == "Next page: pegasus-em trigger-files e t --path '/in/*.txt' --after djE6ZjoxMg\n")
    }

    @Test func statusListsInputFilesOnlyWhenThereAreSome() {
        var w = WorkflowResource(
            id: 4, name: "files_1700000000", created: 1_700_000_000, updated: 1_700_000_000, state: "READY",
            priority: 0, wfUUID: nil, basedir: "/b", planCommand: "\"/bin/true\"", log: "/l")
        let plain = utc.workflowStatus(w)
        w.inputFiles = []
        #expect(utc.workflowStatus(w) == plain)
        w.inputFiles = [
            .init(path: "/in/a.txt", trigger: "files", recorded: 1_700_000_000),
            .init(path: "/in/b.txt", trigger: "files", recorded: 1_700_000_000),
        ]
        let expected =
            plain + "Input Files:  2, recorded 2023-11-14 22:13:20 UTC by trigger files\n  /in/a.txt\n  /in/b.txt\n"
        #expect(utc.workflowStatus(w) == expected)
        #expect(utc.workflowStatus(w, long: true).hasSuffix("History:      none\n" + expected.dropFirst(plain.count)))
    }

    @Test func pageOptions() throws {
        let paged = try WorkflowsCommand.parse(["ens", "-s", "ready,Failed", "-s", "running", "--limit", "5"])
        #expect(paged.page.isPaged)
        #expect(paged.page.query.map { "\($0.name)=\($0.value)" } == ["state=READY,FAILED,RUNNING", "limit=5"])
        #expect(paged.page.repeated == ["-s", "READY,FAILED,RUNNING", "--limit", "5"])
        let plain = try WorkflowsCommand.parse(["ens", "-l"])
        #expect(!plain.page.isPaged && plain.page.query.isEmpty)
        #expect(throws: (any Error).self) { try WorkflowsCommand.parse(["ens", "-s", "DONE"]) }
        #expect(throws: (any Error).self) { try WorkflowsCommand.parse(["ens", "--limit", "0"]) }
        #expect(throws: (any Error).self) { try TriggersCommand.parse(["ens", "-s", "READY"]) }
        #expect(try TriggersCommand.parse(["ens", "-s", "paused"]).page.query.first?.value == "PAUSED")
        for since in ["1765130400", "1765130400.5", "2026-12-07", "2026-12-07T18:00:00Z", "2h", "1d 12h"] {
            #expect(TriggerFilesCommand.looksLikeTime(since), "\(since)")
        }
        for since in ["yesterday", "-5", "2h ago", "", "2026-12-07 18:00:00Z"] {
            #expect(!TriggerFilesCommand.looksLikeTime(since), "\(since)")
        }
    }

    @Test("The client's state lists are the server's states (the client does not link the domain)")
    func stateListsMatchTheDomain() {
        #expect(Set(PageOptions.workflowStates) == Set(WorkflowState.allCases.map(\.rawValue)))
        #expect(Set(PageOptions.triggerStates) == Set(TriggerState.allCases.map(\.rawValue)))
    }

    @Test("A duration ago is sent as one absolute time, so that every page asks for the same moment")
    func relativeSinceIsResolvedOnce() {
        let now = Date(timeIntervalSince1970: 1_765_130_400.7)
        #expect(TriggerFilesCommand.absoluteSince("2h", now: now) == "1765123200")
        #expect(TriggerFilesCommand.absoluteSince("1d 12h", now: now) == "1765000800")
        #expect(TriggerFilesCommand.absoluteSince("90m", now: now) == "1765125000")
        for given in ["1765130400", "2026-12-07", "2026-12-07T18:00:00Z"] {
            #expect(TriggerFilesCommand.absoluteSince(given, now: now) == given)
        }
    }
}
