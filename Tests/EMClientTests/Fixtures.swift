@testable import EMClient

/// The resources behind ``PegasusGolden``: the same values the Pegasus client was fed.
enum Fixtures {
    static let ensembles = [
        EnsembleResource(
            id: 1, name: "myruns", created: 1_700_000_000.25, updated: 1_700_000_100.9, state: "ACTIVE", maxRunning: 1,
            maxPlanning: 1, workflows: "http://127.0.0.1:7919/ensembles/myruns/workflows",
            href: "http://127.0.0.1:7919/ensembles/myruns"),
        EnsembleResource(
            id: 2, name: "a-very-long-ensemble-name-indeed", created: 1_690_000_000, updated: 1_690_000_000,
            state: "PAUSED", maxRunning: 12, maxPlanning: 100_000_000_000_000, workflows: "x", href: "y"),
    ]

    static let workflows = [
        WorkflowResource(
            id: 3, name: "run1", created: 1_700_000_000, updated: 1_700_000_001, state: "READY", priority: 0,
            wfUUID: nil, href: "http://127.0.0.1:7919/ensembles/myruns/workflows/run1"),
        WorkflowResource(
            id: 4, name: "run2", created: 1_690_000_000, updated: 1_690_000_500, state: "PLAN_FAILED", priority: -5,
            wfUUID: "7c3b6f2e-uuid", href: "http://h/e/w"),
    ]

    static var detail: WorkflowResource {
        var w = workflows[0]
        w.basedir = "/home/ryan/work"
        w.planCommand = #""/home/ryan/plan.sh" "run1.dax""#
        w.log = "/home/ryan/.pegasus/ensembles/myruns/run1.log"
        return w
    }

    static var submittedDetail: WorkflowResource {
        var w = workflows[1]
        w.basedir = "/b"
        w.planCommand = #""/bin/true""#
        w.log = "/l"
        w.submitdir = "/s/run0001"
        return w
    }

    static let cronTrigger = TriggerResource(
        id: 1, ensembleID: 1, name: "hourly", state: "RUNNING",
        workflow: .init(script: "/home/ryan/workflow.py", args: ["--site", "condor pool"]),
        args: ["interval": .int(3600), "timeout": .int(86400)], type: "CRON", reason: nil, created: 1_700_000_000,
        updated: 1_700_000_000, nextFire: 1_700_003_600, deadline: 1_700_086_400, fireCount: 2, priority: 0,
        basedir: "/home/ryan")

    static let fileTrigger = TriggerResource(
        id: 2, ensembleID: 1, name: "10s_txt", state: "STOPPED",
        workflow: .init(script: "/home/ryan/workflow.py", args: []),
        args: ["interval": .int(10), "timeout": .null, "file_patterns": .array([.string("/home/ryan/input/*.txt")])],
        type: "FILE_PATTERN", reason: "stopped by request", created: 1_700_000_000, updated: 1_700_000_050,
        nextFire: nil, deadline: nil, fireCount: 5, priority: 3, basedir: "/home/ryan")
}
