import EMTestSupport
import EnsembleCore
import EnsembleServer
import Foundation
import Testing

/// The planner-output parsing, made robust where Pegasus only greps the planner's output for `pegasus-run`: the
/// submit directory is the last existing-directory token of the last `pegasus-run` line (or `--json`
/// `submit_dir`), the wf_uuid comes from braindump.yml, and every missing piece is an error with a message.
struct PlanOutputTests {
    /// A temporary basedir with an absolute and a relative submit directory.
    struct Dirs {
        let temp: TemporaryDirectory
        var base: String { temp.path }
        var first: String { temp.path + "/submit/run0001" }
        var second: String { temp.path + "/submit/run0002" }

        init() throws {
            temp = try TemporaryDirectory(prefix: "plan-output")
            for dir in ["submit/run0001", "submit/run0002", "with space/run0001"] {
                try FileManager.default.createDirectory(
                    atPath: temp.path + "/" + dir, withIntermediateDirectories: true)
            }
            try temp.write("submit/afile", "not a directory")
        }
    }

    @Test func javaPlannerLineWithTwoSpaces() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        let output = """
            2026.11.25 04:51:20.041 UTC:   I have concretized your abstract workflow. The invocation required is


            pegasus-run  \(d.first)

            2026.11.25 04:51:20.041 UTC:   Time taken to execute is 0.055 seconds
            """
        #expect(PlanOutput.submitDirectory(output: output, basedir: d.base) == d.first)
    }

    @Test func forwardedOptionsAreSkipped() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        // Pegasus takes the second token (`--grid`), a latent bug; we take the last existing directory.
        #expect(PlanOutput.submitDirectory(output: "pegasus-run  --grid \(d.first)\n", basedir: d.base) == d.first)
        #expect(
            PlanOutput.submitDirectory(output: "  pegasus-run --json -v  \(d.first)  \n", basedir: d.base) == d.first)
        // A trailing token that is not a directory (a file, a missing path) is skipped as well.
        #expect(
            PlanOutput.submitDirectory(output: "pegasus-run \(d.first) \(d.base)/submit/afile", basedir: d.base)
                == d.first)
    }

    @Test func lastLineWins() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        let output = "pegasus-run \(d.first)\nsome other output\npegasus-run  \(d.second)\ntrailer\n"
        #expect(PlanOutput.submitDirectory(output: output, basedir: d.base) == d.second)
        // A later line naming no existing directory does not erase an earlier good one.
        let withBadLast = "pegasus-run \(d.first)\npegasus-run /no/such/dir\n"
        #expect(PlanOutput.submitDirectory(output: withBadLast, basedir: d.base) == d.first)
    }

    @Test func relativeDirectoryResolvesAgainstBasedir() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        #expect(PlanOutput.submitDirectory(output: "pegasus-run submit/run0002", basedir: d.base) == d.second)
        #expect(
            PlanOutput.submitDirectory(output: "pegasus-run ./submit/../submit/run0001", basedir: d.base) == d.first)
    }

    @Test func jsonSubmitDir() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        // What `pegasus-plan --json` prints: the pegasus-run line is inside a JSON string, so only submit_dir counts.
        let json = """
            {
              "user" : "me",
              "submit_dir" : "\(d.second)",
              "pegasus-run" : "pegasus-run --json  \(d.second)"
            }
            """
        #expect(PlanOutput.submitDirectory(output: json, basedir: d.base) == d.second)
        // Escaped slashes and a relative submit_dir.
        #expect(PlanOutput.submitDirectory(output: #"{"submit_dir": "submit\/run0001"}"#, basedir: d.base) == d.first)
        // A pegasus-run line (Python API: JSON, then the logged line) agrees with JSON and wins when both exist.
        #expect(
            PlanOutput.submitDirectory(output: json + "\npegasus-run \(d.first)\n", basedir: d.base) == d.first)
    }

    @Test(arguments: [
        "",
        "no invocation here\n",
        "Please run: pegasus-run /tmp\n",
        "pegasus-runner /tmp\n",
        "pegasus-run\n",
        "pegasus-run /no/such/directory\n",
        #"{"submit_dir": "/no/such/directory"}"#,
    ])
    func noSubmitDirectory(output: String) throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        #expect(PlanOutput.submitDirectory(output: output, basedir: d.base) == nil)
    }

    @Test func braindumpGood() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        try d.temp.write(
            "submit/run0001/braindump.yml",
            "user: me\nwf_uuid: 2f6bd6a4-5c45-4d4b-9d7a-5d1b0a6a9f11\nroot_wf_uuid: 2f6bd6a4-5c45-4d4b-9d7a-5d1b0a6a9f11\n"
                + "dag: diamond-0.dag\ntype: dag\n")
        #expect(try PlanOutput.workflowUUID(submitDirectory: d.first) == "2f6bd6a4-5c45-4d4b-9d7a-5d1b0a6a9f11")
    }

    @Test func braindumpMissing() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        let error = #expect(throws: EMError.self) { try PlanOutput.workflowUUID(submitDirectory: d.first) }
        #expect(error?.message == "braindump.yml not found in \(d.first)")
    }

    @Test func braindumpInvalid() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        // What the simulator's --sim-invalid-braindump writes.
        try d.temp.write("submit/run0001/braindump.yml", "---\nuser: \"me\"\nwf_uuid: [\"x\"\ndax_label: {\n")
        let error = #expect(throws: EMError.self) { try PlanOutput.workflowUUID(submitDirectory: d.first) }
        #expect(error?.message.contains("braindump.yml in \(d.first) is not valid YAML") == true)

        try d.temp.write("submit/run0001/braindump.yml", "- just\n- a list\n")
        let list = #expect(throws: EMError.self) { try PlanOutput.workflowUUID(submitDirectory: d.first) }
        #expect(list?.message == "braindump.yml in \(d.first) is not a YAML mapping")
    }

    @Test(arguments: ["user: me\n", "user: me\nwf_uuid: null\n", "wf_uuid: ''\n", "wf_uuid:\n"])
    func braindumpWithoutUUID(text: String) throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        try d.temp.write("submit/run0001/braindump.yml", text)
        let error = #expect(throws: EMError.self) { try PlanOutput.workflowUUID(submitDirectory: d.first) }
        #expect(error?.message == "wf_uuid not found in braindump.yml")
    }

    @Test func braindumpUUIDOfWrongLength() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        try d.temp.write("submit/run0001/braindump.yml", "wf_uuid: abc\n")
        let error = #expect(throws: EMError.self) { try PlanOutput.workflowUUID(submitDirectory: d.first) }
        #expect(error?.message == "Invalid wf_uuid in braindump.yml: abc")
    }

    /// Found by fuzzing (tools/fuzz, target planoutput): Foundation's `standardizingPath` turned
    /// `/var/automount.` into `.`, a relative path that named the server's working directory.
    @Test func automountPrefixIsNotStripped() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        let fuzzed = "{\"s\\/t:06\npegasus-run .\n\\u:06dp\"}\npegasus-run /var/automount.\n"
        #expect(PlanOutput.submitDirectory(output: fuzzed, basedir: d.base) == d.base)
        #expect(PlanOutput.submitDirectory(output: "pegasus-run /var/automount.\n", basedir: d.base) == nil)
        let dotted = "pegasus-run \(d.base)//./submit/x/../run0001/.\n"
        #expect(PlanOutput.submitDirectory(output: dotted, basedir: "/") == d.first)
    }

    /// Found by fuzzing (tools/fuzz, target braindump): a mapping key that is not a scalar (`? [a]`, `[a]: b`)
    /// made Yams' constructor trap, crashing the server that reads the braindump after planning.
    @Test(arguments: [
        "? S-\u{FFFD}\u{FFFD}o\u{FFFD}y user: alice\ngrid_dn: naGk=am.ulm.ull\nsubmit_h.;me: s",
        "[a]: b\n",
        "? [a, b]\n: c\nuser: me\n",
        "x:\n  ? {k: v}\n  : y\n",
    ])
    func braindumpWithComplexKeysFailsCleanly(text: String) throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        try d.temp.write("submit/run0001/braindump.yml", text)
        let error = #expect(throws: EMError.self) { try PlanOutput.workflowUUID(submitDirectory: d.first) }
        #expect(error?.message == "wf_uuid not found in braindump.yml")

        let uuid = "2f6bd6a4-5c45-4d4b-9d7a-5d1b0a6a9f11"
        try d.temp.write("submit/run0001/braindump.yml", text + "\nwf_uuid: \(uuid)\n")
        #expect(try PlanOutput.workflowUUID(submitDirectory: d.first) == uuid)
    }

    @Test func braindumpUUIDMustBeAString() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        for text in ["wf_uuid: 123\n", "wf_uuid: [a]\n", "wf_uuid: {a: b}\n"] {
            try d.temp.write("submit/run0001/braindump.yml", text)
            let error = #expect(throws: EMError.self) { try PlanOutput.workflowUUID(submitDirectory: d.first) }
            #expect(error?.message == "wf_uuid not found in braindump.yml")
        }
        let uuid = "2f6bd6a4-5c45-4d4b-9d7a-5d1b0a6a9f11"
        try d.temp.write("submit/run0001/braindump.yml", "user: me\nwf_uuid: '\(uuid)'\n")
        #expect(try PlanOutput.workflowUUID(submitDirectory: d.first) == uuid)
    }

    @Test func logTailStartsAtTheJobsOffset() throws {
        let d = try Dirs()
        defer { d.temp.remove() }
        let log = try d.temp.write("wf.log", "pegasus-run \(d.first)\n--- replan ---\n")
        let offset = Int64("pegasus-run \(d.first)\n".utf8.count)
        let tail = PlanOutput.logTail(log, from: offset)
        #expect(tail == "--- replan ---\n")
        // An earlier plan's line in the same (appended) log is not this plan's submit directory.
        #expect(PlanOutput.submitDirectory(output: tail, basedir: d.base) == nil)
        #expect(PlanOutput.logTail(d.base + "/missing.log", from: 0) == "")
        #expect(PlanOutput.logTail(log, from: 0, limit: 6) == "n ---\n")
    }
}
