import EMTestSupport
import Foundation
import Testing

/// The built `pegasus-em` binary's trigger verbs (issue 14) against a live `pegasus-em server`: pause, resume,
/// update, fire now, preview, and the creation policies, with their messages and exit codes.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: CLI.binaryExists))
struct EndToEndTriggerControlTests {
    @Test func pauseResumeFireAndStatus() throws {
        let (server, cli) = try CLI.live()
        defer { server.stop() }
        try server.home.write("work/wf.sh", "#!/bin/sh\nexit 1\n", executable: true)
        #expect(try cli.run("create", "tr") == .ok(""))
        // Once a year: it does not fire at creation, so no workflow of its own is in the way of fire-trigger.
        #expect(
            try cli.run(
                [
                    "cron-trigger", "tr", "hourly", "./wf.sh", "--cron", "0 0 1 1 *", "--overlap", "skip",
                    "--pause-after-failures", "5",
                ], in: "work") == .ok("created\n"))

        #expect(try cli.run("pause-trigger", "tr", "hourly") == .ok("ensemble: tr, trigger: hourly paused\n"))
        #expect(
            try cli.run("pause-trigger", "tr", "hourly") == .ok("ensemble: tr, trigger: hourly is already paused\n"))
        let table = try cli.run("triggers", "tr")
        #expect(table.stdout.contains("\nhourly               CRON           PAUSED     "), "\(table.stdout)")
        let paused = try cli.run("trigger-status", "tr", "hourly")
        #expect(paused.stdout.contains("\nState:         PAUSED\n"), "\(paused.stdout)")
        #expect(paused.stdout.contains("skip"), "\(paused.stdout)")
        #expect(paused.stdout.contains("paused by "), "\(paused.stdout)")
        #expect(
            try cli.run("fire-trigger", "tr", "hourly")
                == .failed("ERROR: Trigger hourly is PAUSED: only a RUNNING trigger can be fired\n"))

        #expect(try cli.run("resume-trigger", "tr", "hourly") == .ok("ensemble: tr, trigger: hourly resumed\n"))
        let fired = try cli.run("fire-trigger", "tr", "hourly")
        #expect(fired.status == 0)
        #expect(fired.stdout.hasPrefix("ensemble: tr, trigger: hourly submitted 1 workflow(s): hourly_"), "\(fired)")
        let status = try cli.run("trigger-status", "tr", "hourly")
        for event in ["created", "paused", "resumed"] {
            #expect(status.stdout.contains(" \(event)"), "\(event) missing in \(status.stdout)")
        }
        let json = try cli.run("trigger-status", "tr", "hourly", "--json")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(decoded?["overlap"] as? String == "skip")
        #expect(decoded?["pause_after_failures"] as? Int == 5)

        #expect(try cli.run("pause-trigger", "tr").status == 2)
        #expect(try cli.run("resume-trigger", "tr", "nope").stdout.hasPrefix("ERROR: No such trigger: nope"))
        #expect(try cli.run("stop-trigger", "tr", "hourly").status == 0)
        #expect(
            try cli.run("resume-trigger", "tr", "hourly")
                == .failed("ERROR: Trigger hourly is STOPPED: only a RUNNING or PAUSED trigger can be resumed\n"))
    }

    @Test func updateAndPreview() throws {
        let (server, cli) = try CLI.live()
        defer { server.stop() }
        try server.home.write("work/wf.sh", "#!/bin/sh\nexit 1\n", executable: true)
        let input = server.home.file("in")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        try "old\n".write(toFile: input + "/old.txt", atomically: false, encoding: .utf8)
        #expect(try cli.run("create", "tr") == .ok(""))
        #expect(
            try cli.run(
                ["file-pattern-trigger", "tr", "txt", "1h", "wf.sh", "\(input)/*.txt", "--skip-existing"], in: "work")
                == .ok("created\n"))

        let update = try cli.run(
            [
                "update-trigger", "tr", "txt", "--interval", "30m", "--args", "--sites condorpool", "--overlap",
                "buffer-one",
            ],
            in: "work")
        #expect(update.status == 0, "\(update)")
        #expect(update.stdout.hasPrefix("ensemble: tr, trigger: txt updated: interval 1h -> 30m"), "\(update)")
        #expect(update.stdout.contains("overlap allow -> buffer-one"))
        let long = try cli.run("t", "-l", "tr")
        #expect(long.stdout.contains("Workflow Args: ['--sites', 'condorpool']\nInterval:      1800\n"), "\(long)")
        #expect(try cli.run("update-trigger", "tr", "txt").status == 2)
        #expect(
            try cli.run("update-trigger", "tr", "txt", "--max-files", "0")
                == .failed("ERROR: max_files must be an integer >= 1: 0\n"))

        try "new\n".write(toFile: input + "/new.txt", atomically: false, encoding: .utf8)
        var preview = try cli.run("trigger-preview", "tr", "txt", "-n", "2")
        for _ in 0..<50 where !preview.stdout.contains(input + "/new.txt") {
            usleep(100_000)
            preview = try cli.run("trigger-preview", "tr", "txt", "-n", "2")
        }
        #expect(preview.status == 0)
        #expect(preview.stdout.contains(input + "/new.txt"), "\(preview.stdout)")
        #expect(!preview.stdout.contains(input + "/old.txt"), "skip_existing: \(preview.stdout)")
        #expect(try cli.run("trigger-preview", "tr", "txt", "-n", "0").status == 2)
        #expect(try cli.run("workflows", "tr").stdout.isEmpty, "a preview submitted")

        let fired = try cli.run("fire-trigger", "tr", "txt")
        #expect(fired.stdout.hasPrefix("ensemble: tr, trigger: txt submitted 1 workflow(s): txt_"), "\(fired)")
        let again = try cli.run("fire-trigger", "tr", "txt")
        #expect(again == .ok("ensemble: tr, trigger: txt: nothing to submit\n"))
    }
}
