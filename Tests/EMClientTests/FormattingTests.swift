import Foundation
import Testing

@testable import EMClient

/// Tables and blocks, against golden output of the real Pegasus client and our own goldens.
@Suite struct FormattingTests {
    let utc = OutputFormatter(timestamps: TimestampFormatter(timeZoneIdentifier: "UTC"))
    let newYork = OutputFormatter(timestamps: TimestampFormatter(timeZone: TimeZone(identifier: "America/New_York")!))

    @Test func timestampsUseCZoneAbbreviations() {
        let winter = 1_700_000_000.9
        #expect(TimestampFormatter(timeZoneIdentifier: "UTC").string(from: winter) == "2023-11-14 22:13:20 UTC")
        #expect(
            TimestampFormatter(timeZoneIdentifier: "America/New_York").string(from: winter)
                == "2023-11-14 17:13:20 EST")
        #expect(
            TimestampFormatter(timeZoneIdentifier: "America/New_York").string(from: 1_690_000_000)
                == "2023-07-22 00:26:40 EDT")
        #expect(
            TimestampFormatter(timeZoneIdentifier: "Europe/Berlin").string(from: 1_690_000_000)
                == "2023-07-22 06:26:40 CEST")
        // Python's time.localtime floors: -0.5 is 1969-12-31 23:59:59.
        #expect(TimestampFormatter(timeZoneIdentifier: "UTC").string(from: -0.5) == "1969-12-31 23:59:59 UTC")
    }

    @Test func explicitZoneLeavesProcessZoneAlone() {
        // Read TZ only while no other test's formatter has it switched.
        let before = TimestampFormatter.withProcessZone { getenv("TZ").map { String(cString: $0) } }
        _ = TimestampFormatter(timeZoneIdentifier: "Asia/Kolkata").string(from: 0)
        #expect(TimestampFormatter.withProcessZone { getenv("TZ").map { String(cString: $0) } } == before)
    }

    @Test func absurdTimestampsAreRenderedNotFatal() {
        #expect(TimestampFormatter(timeZoneIdentifier: "UTC").string(from: 1e300) == "1e+300")
        #expect(TimestampFormatter().string(from: -.infinity) == "-inf")
    }

    @Test func ensemblesMatchPegasus() {
        #expect(utc.ensembles(Fixtures.ensembles) == PegasusGolden.ensemblesUTC)
        #expect(newYork.ensembles(Fixtures.ensembles) == PegasusGolden.ensemblesNewYork)
        #expect(utc.ensembles([]) == "")
    }

    @Test func workflowsMatchPegasus() {
        #expect(utc.workflows(Fixtures.workflows) == PegasusGolden.workflowsUTC)
        #expect(newYork.workflows(Fixtures.workflows) == PegasusGolden.workflowsNewYork)
        #expect(utc.workflowsLong(Fixtures.workflows) == PegasusGolden.workflowsLongUTC)
        #expect(newYork.workflowsLong(Fixtures.workflows) == PegasusGolden.workflowsLongNewYork)
        #expect(utc.workflows([]) == "")
        #expect(utc.workflowsLong([]) == "")
    }

    @Test func statusMatchesPegasus() {
        #expect(utc.workflowStatus(Fixtures.detail) == PegasusGolden.statusUTC)
        #expect(newYork.workflowStatus(Fixtures.detail) == PegasusGolden.statusNewYork)
        #expect(utc.workflowStatus(Fixtures.submittedDetail) == PegasusGolden.statusSubmittedUTC)
        #expect(newYork.workflowStatus(Fixtures.submittedDetail) == PegasusGolden.statusSubmittedNewYork)
    }

    @Test func statusLongAddsArgvDiagnosticAndHistory() {
        var w = Fixtures.detail
        w.planArgv = ["/home/ryan/plan.sh", "run 1.dax", "$(x)"]
        w.diagnostic = "pegasus-plan exited with status 1"
        w.history = [
            .init(time: 1_700_000_000, from: nil, to: "READY", reason: "submitted"),
            .init(time: 1_700_000_060, from: "READY", to: "PLANNING", reason: nil),
        ]
        let expected =
            PegasusGolden.statusUTC + """
                Plan Argv:    /home/ryan/plan.sh 'run 1.dax' '$(x)'
                Diagnostic:   pegasus-plan exited with status 1
                History:
                  2023-11-14 22:13:20 UTC  - -> READY (submitted)
                  2023-11-14 22:14:20 UTC  READY -> PLANNING

                """
        #expect(utc.workflowStatus(w, long: true) == expected)
        #expect(utc.workflowStatus(Fixtures.detail, long: true).hasSuffix("History:      none\n"))
    }

    @Test func oneLineMessagesMatchPegasus() {
        #expect(utc.stateLine("PAUSED") == PegasusGolden.pause)
        #expect(utc.stateLine("READY") == PegasusGolden.replan)
        #expect(utc.ensembleConfig(Fixtures.ensembles[1]) == PegasusGolden.config)
        #expect(utc.priorityLine(7) == PegasusGolden.priority)
    }

    @Test func triggersTable() {
        let expected = """
            NAME                 TYPE           STATE      WORKFLOW SCRIPT               \("")
            hourly               CRON           RUNNING    /home/ryan/workflow.py        \("")
            10s_txt              FILE_PATTERN   STOPPED    /home/ryan/workflow.py        \("")

            """
        #expect(utc.triggers([Fixtures.cronTrigger, Fixtures.fileTrigger]) == expected)
        #expect(utc.triggers([]) == "")
    }

    @Test func triggersLong() {
        let expected = """
            Name:          hourly
            Type:          CRON
            State:         RUNNING
            Workflow:      /home/ryan/workflow.py
            Workflow Args: ['--site', 'condor pool']
            Interval:      3600
            Timeout:       86400

            Name:          10s_txt
            Type:          FILE_PATTERN
            State:         STOPPED
            Workflow:      /home/ryan/workflow.py
            Workflow Args: []
            Interval:      10
            Timeout:       None
            File Patterns: ['/home/ryan/input/*.txt']

            """
        #expect(utc.triggersLong([Fixtures.cronTrigger, Fixtures.fileTrigger]) == expected)
        #expect(utc.triggersLong([]) == "")
    }

    @Test func triggerStatusOfCronTrigger() {
        let expected = """
            Name:          hourly
            Type:          CRON
            State:         RUNNING
            Reason:        \("")
            Schedule:      every 1h
            Next Fire:     2023-11-14 23:13:20 UTC
            Deadline:      2023-11-15 22:13:20 UTC
            Fire Count:    2
            Priority:      0
            Base Dir:      /home/ryan
            Workflow:      /home/ryan/workflow.py
            Workflow Args: --site 'condor pool'
            Last submissions: none

            """
        #expect(utc.triggerStatus(Fixtures.cronTrigger) == expected)
    }

    @Test func triggerStatusOfFileTriggerInNewYork() {
        var t = Fixtures.fileTrigger
        t.watch = .init(
            roots: [
                .init(path: "/home/ryan/input", mode: "inotify", reason: nil),
                .init(path: "/mnt/nfs/in", mode: "poll", reason: "nfs does not deliver inotify events"),
            ],
            pendingFiles: 2,
            oldestPendingAge: 75.6
        )
        t.submissions = [
            .init(
                workflow: "10s_txt_1700000040", time: 1_700_000_040,
                files: ["/home/ryan/input/processed/f1.txt", "/home/ryan/input/processed/f2.txt"]),
            .init(workflow: "10s_txt_1700000020", time: 1_700_000_020, files: nil),
        ]
        let expected = """
            Name:          10s_txt
            Type:          FILE_PATTERN
            State:         STOPPED
            Reason:        stopped by request
            Schedule:      every 10s
            Next Fire:     \("")
            Deadline:      \("")
            Fire Count:    5
            Priority:      3
            Base Dir:      /home/ryan
            Workflow:      /home/ryan/workflow.py
            Workflow Args: \("")
            File Patterns: '/home/ryan/input/*.txt'
            Watching:      /home/ryan/input (inotify)
                           /mnt/nfs/in (poll: nfs does not deliver inotify events)
            Pending Files: 2
            Pending Age:   1m15s
            Last submissions:
              2023-11-14 17:14:00 EST  10s_txt_1700000040
                /home/ryan/input/processed/f1.txt
                /home/ryan/input/processed/f2.txt
              2023-11-14 17:13:40 EST  10s_txt_1700000020

            """
        #expect(newYork.triggerStatus(t) == expected)
    }

    @Test func cronScheduleWithZone() {
        var t = Fixtures.cronTrigger
        t.args = ["cron": .string("*/5 * * * *"), "timezone": .string("Europe/Berlin"), "interval": .null]
        #expect(utc.schedule(t) == "cron */5 * * * * (Europe/Berlin)")
        t.args = nil
        #expect(utc.schedule(t) == "")
    }

    @Test(arguments: [
        (0, "0s"), (59, "59s"), (60, "1m"), (90, "1m30s"), (3600, "1h"), (5400, "1h30m"), (86400, "1d"),
        (90061, "1d1h1m1s"),
    ])
    func durations(seconds: Int, text: String) {
        #expect(formatDuration(seconds) == text)
    }

    @Test func pythonRendering() {
        #expect(
            pythonRepr(.array([.string("it's"), .string("a\\b"), .string("x\"y"), .string("both'\"")]))
                == #"["it's", 'a\\b', 'x"y', 'both\'"']"#)
        #expect(pythonRepr(.null) == "None")
        #expect(pythonRepr(.bool(true)) == "True")
        #expect(pythonRepr(.double(3)) == "3.0")
        #expect(pythonRepr(.object(["b": .int(1), "a": .string("x")])) == "{'a': 'x', 'b': 1}")
        #expect(pythonRepr(.string("tab\there\n")) == #"'tab\there\n'"#)
        #expect(titleCase("file_patterns") == "File Patterns")
        #expect(titleCase("max_files") == "Max Files")
    }

    @Test func shellQuoting() {
        #expect(shellQuote("plain-arg_1.txt") == "plain-arg_1.txt")
        #expect(shellQuote("") == "''")
        #expect(shellQuote("a b") == "'a b'")
        #expect(shellQuote("it's") == #"'it'\''s'"#)
        #expect(shellQuote("`x`") == "'`x`'")
    }

    @Test func pythonPaddingNeverTruncates() {
        #expect(pad("abc", 5) == "abc  ")
        #expect(pad("abc", 5, right: true) == "  abc")
        #expect(pad("abcdef", 3) == "abcdef")
        #expect(pad("é", 3) == "é  ")
    }
}
