/// Golden output captured from the real Pegasus 5.1.3 client (`Pegasus/service/ensembles/commands.py`) run with
/// the fixtures of ``Fixtures`` and `TZ` set (see docs/cli.md, "Golden output"). Each line ends with a newline.
enum PegasusGolden {
    private static func lines(_ lines: [String]) -> String {
        lines.map { $0 + "\n" }.joined()
    }

    /// `ensembles` in UTC, printed by Pegasus 5.1.3's commands.py.
    static let ensemblesUTC = lines([
        "NAME                 STATE    CREATED                  UPDATED                  MAX PLANNING  MA"
            + "X RUNNING",
        "myruns               ACTIVE   2023-11-14 22:13:20 UTC  2023-11-14 22:15:00 UTC             1    "
            + "        1",
        "a-very-long-ensemble-name-indeed PAUSED   2023-07-22 04:26:40 UTC  2023-07-22 04:26:40 UTC  1000"
            + "00000000000           12",
    ])

    /// `workflows` in UTC, printed by Pegasus 5.1.3's commands.py.
    static let workflowsUTC = lines([
        "NAME                 STATE           PRIORITY CREATED                  UPDATED                 ",
        "run1                 READY           0        2023-11-14 22:13:20 UTC  2023-11-14 22:13:21 UTC ",
        "run2                 PLAN_FAILED     -5       2023-07-22 04:26:40 UTC  2023-07-22 04:35:00 UTC ",
    ])

    /// `workflows_long` in UTC, printed by Pegasus 5.1.3's commands.py.
    static let workflowsLongUTC = lines([
        "ID:       3",
        "Name:     run1",
        "Created:  2023-11-14 22:13:20 UTC",
        "Updated:  2023-11-14 22:13:21 UTC",
        "State:    READY",
        "Priority: 0",
        "UUID:     None",
        "URL:      http://127.0.0.1:7919/ensembles/myruns/workflows/run1",
        "",
        "ID:       4",
        "Name:     run2",
        "Created:  2023-07-22 04:26:40 UTC",
        "Updated:  2023-07-22 04:35:00 UTC",
        "State:    PLAN_FAILED",
        "Priority: -5",
        "UUID:     7c3b6f2e-uuid",
        "URL:      http://h/e/w",
        "",
    ])

    /// `status` in UTC, printed by Pegasus 5.1.3's commands.py.
    static let statusUTC = lines([
        "ID:           3",
        "Name:         run1",
        "Plan Command: \"/home/ryan/plan.sh\" \"run1.dax\"",
        "Created:      2023-11-14 22:13:20 UTC",
        "Updated:      2023-11-14 22:13:21 UTC",
        "State:        READY",
        "UUID:         ",
        "Priority:     0",
        "Base Dir:     /home/ryan/work",
        "Submit Dir:   ",
        "Log:          /home/ryan/.pegasus/ensembles/myruns/run1.log",
    ])

    /// `status2` in UTC, printed by Pegasus 5.1.3's commands.py.
    static let statusSubmittedUTC = lines([
        "ID:           4",
        "Name:         run2",
        "Plan Command: \"/bin/true\"",
        "Created:      2023-07-22 04:26:40 UTC",
        "Updated:      2023-07-22 04:35:00 UTC",
        "State:        PLAN_FAILED",
        "UUID:         7c3b6f2e-uuid",
        "Priority:     -5",
        "Base Dir:     /b",
        "Submit Dir:   /s/run0001",
        "Log:          /l",
    ])

    /// `ensembles` in America/New_York, printed by Pegasus 5.1.3's commands.py.
    static let ensemblesNewYork = lines([
        "NAME                 STATE    CREATED                  UPDATED                  MAX PLANNING  MA"
            + "X RUNNING",
        "myruns               ACTIVE   2023-11-14 17:13:20 EST  2023-11-14 17:15:00 EST             1    "
            + "        1",
        "a-very-long-ensemble-name-indeed PAUSED   2023-07-22 00:26:40 EDT  2023-07-22 00:26:40 EDT  1000"
            + "00000000000           12",
    ])

    /// `workflows` in America/New_York, printed by Pegasus 5.1.3's commands.py.
    static let workflowsNewYork = lines([
        "NAME                 STATE           PRIORITY CREATED                  UPDATED                 ",
        "run1                 READY           0        2023-11-14 17:13:20 EST  2023-11-14 17:13:21 EST ",
        "run2                 PLAN_FAILED     -5       2023-07-22 00:26:40 EDT  2023-07-22 00:35:00 EDT ",
    ])

    /// `workflows_long` in America/New_York, printed by Pegasus 5.1.3's commands.py.
    static let workflowsLongNewYork = lines([
        "ID:       3",
        "Name:     run1",
        "Created:  2023-11-14 17:13:20 EST",
        "Updated:  2023-11-14 17:13:21 EST",
        "State:    READY",
        "Priority: 0",
        "UUID:     None",
        "URL:      http://127.0.0.1:7919/ensembles/myruns/workflows/run1",
        "",
        "ID:       4",
        "Name:     run2",
        "Created:  2023-07-22 00:26:40 EDT",
        "Updated:  2023-07-22 00:35:00 EDT",
        "State:    PLAN_FAILED",
        "Priority: -5",
        "UUID:     7c3b6f2e-uuid",
        "URL:      http://h/e/w",
        "",
    ])

    /// `status` in America/New_York, printed by Pegasus 5.1.3's commands.py.
    static let statusNewYork = lines([
        "ID:           3",
        "Name:         run1",
        "Plan Command: \"/home/ryan/plan.sh\" \"run1.dax\"",
        "Created:      2023-11-14 17:13:20 EST",
        "Updated:      2023-11-14 17:13:21 EST",
        "State:        READY",
        "UUID:         ",
        "Priority:     0",
        "Base Dir:     /home/ryan/work",
        "Submit Dir:   ",
        "Log:          /home/ryan/.pegasus/ensembles/myruns/run1.log",
    ])

    /// `status2` in America/New_York, printed by Pegasus 5.1.3's commands.py.
    static let statusSubmittedNewYork = lines([
        "ID:           4",
        "Name:         run2",
        "Plan Command: \"/bin/true\"",
        "Created:      2023-07-22 00:26:40 EDT",
        "Updated:      2023-07-22 00:35:00 EDT",
        "State:        PLAN_FAILED",
        "UUID:         7c3b6f2e-uuid",
        "Priority:     -5",
        "Base Dir:     /b",
        "Submit Dir:   /s/run0001",
        "Log:          /l",
    ])

    /// `pause`, printed by Pegasus 5.1.3's commands.py.
    static let pause = lines([
        "State: PAUSED"
    ])

    /// `config`, printed by Pegasus 5.1.3's commands.py.
    static let config = lines([
        "Max Planning: 100000000000000",
        "Max Running: 12",
    ])

    /// `priority`, printed by Pegasus 5.1.3's commands.py.
    static let priority = lines([
        "Priority: 7"
    ])

    /// `replan`, printed by Pegasus 5.1.3's commands.py.
    static let replan = lines([
        "State: READY"
    ])
}
