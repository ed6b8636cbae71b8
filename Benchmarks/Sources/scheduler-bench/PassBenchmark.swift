@_spi(Benchmarks) import EnsembleServer
import EnsembleStore
import Foundation
import GRDB
import Logging

/// One scheduler pass over a large store (see main.swift).
enum PassBenchmark {
    static func run(total: Int, active: Int, passes: Int) async throws {
        print("pass: \(total) workflows, \(active) active")
        // MARK: - Seeding

        let ensembles = 10

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scheduler-bench-\(getpid())")
            .path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let basedir = directory + "/base"
        try FileManager.default.createDirectory(atPath: basedir, withIntermediateDirectories: true)

        let seedStart = ContinuousClock.now
        let store = try EMStore(path: directory + "/em.db")
        let now = Date().timeIntervalSince1970
        let runStart = now - 3600
        try await store.pool.write { db in
            for e in 0..<ensembles {
                try db.execute(
                    sql: """
                        INSERT INTO ensemble (name, created, updated, state, max_running, max_planning)
                        VALUES (?, ?, ?, 'ACTIVE', ?, 10)
                        """, arguments: ["e\(e)", now - 86400, now - 86400, max(1, active / ensembles)])
            }
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO workflow (ensemble_id, name, basedir, plan_command, plan_argv, created, updated, state,
                        priority, wf_uuid, submitdir, reason, run_started_at, run_count, state_changed)
                    VALUES (?, ?, ?, '"./plan.sh"', '["./plan.sh"]', ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
                    """)
            let history = try db.makeStatement(
                sql:
                    "INSERT INTO workflow_history (workflow_id, time, from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)"
            )
            for n in 0..<total {
                let running = isActive(n, total: total, active: active)
                let state = running ? "RUNNING" : (n % 7 == 0 ? "FAILED" : "SUCCESSFUL")
                let created = now - 86400 + Double(n) * 0.01
                try insert.execute(arguments: [
                    Int64(n % ensembles + 1), "wf\(n)", basedir, created, created, state, n % 5, uuid(n),
                    basedir + "/submit/run\(n)", running ? "pegasus-run started" : "workflow terminated", runStart,
                    created,
                ])
                let id = db.lastInsertedRowID
                for (from, to) in [
                    (nil, "READY"), ("READY", "PLANNING"), ("PLANNING", "QUEUED"), ("QUEUED", "RUNNING"),
                ] {
                    try history.execute(arguments: [id, created, from, to, "seed"])
                }
                if !running { try history.execute(arguments: [id, created, "RUNNING", state, "seed"]) }
            }
        }

        // The master DB, with the schema Pegasus 5.1.3 writes (the simulator's copy of it).
        let masterPath = directory + "/workflow.db"
        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        maker.arguments = [
            "python3", repositoryRoot() + "/tools/pegasus-standins/bin/_pegasus_sim_masterdb.py", masterPath,
        ]
        maker.standardOutput = FileHandle.nullDevice
        try maker.run()
        maker.waitUntilExit()
        guard maker.terminationStatus == 0 else {
            fatalError("could not create the master DB with the simulator's helper")
        }

        let masterWriter = try DatabaseQueue(path: masterPath)
        let activeIDs = (0..<total).filter { isActive($0, total: total, active: active) }
        try await masterWriter.write { db in
            let workflow = try db.makeStatement(
                sql: """
                    INSERT INTO master_workflow (wf_id, wf_uuid, dax_label, timestamp, submit_dir, user, archived)
                    VALUES (?, ?, 'bench', ?, ?, 'bench', 0)
                    """)
            let state = try db.makeStatement(
                sql: """
                    INSERT INTO master_workflowstate (wf_id, state, timestamp, restart_count, status, reason)
                    VALUES (?, ?, ?, 0, ?, NULL)
                    """)
            for n in 0..<total {
                try workflow.execute(arguments: [n + 1, uuid(n), runStart, basedir + "/submit/run\(n)"])
                try state.execute(arguments: [n + 1, "WORKFLOW_STARTED", runStart + 5, nil])
                if !isActive(n, total: total, active: active) {
                    try state.execute(arguments: [n + 1, "WORKFLOW_TERMINATED", runStart + 60, n % 7 == 0 ? 1 : 0])
                }
            }
        }
        // A long-running store is checkpointed regularly; a 100k-row seed left in the WAL would slow every read.
        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        print("seeded in \(ms(ContinuousClock.now - seedStart)) (store \(directory)/em.db, master DB \(masterPath))")

        // MARK: - Measuring

        var configuration = WorkflowScheduler.Configuration(ensemblesDirectory: directory + "/ensembles")
        configuration.masterGrace = 1e9
        let scheduler = WorkflowScheduler(
            store: store, launcher: JobLauncher(environment: ProcessInfo.processInfo.environment),
            master: MasterDatabase(path: masterPath), configuration: configuration, health: HealthRegistry(),
            logger: Logger(label: "scheduler-bench"))

        func runningCount(_ store: EMStore) async throws -> Int {
            try await store.pool.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM workflow WHERE state = 'RUNNING'") ?? 0
            }
        }

        // The first pass opens the master DB and warms SQLite's page caches.
        let cold = ContinuousClock.now
        try await scheduler.runPassForBenchmark()
        let coldTime = ContinuousClock.now - cold

        var steady: [Duration] = []
        for _ in 0..<passes {
            let t = ContinuousClock.now
            try await scheduler.runPassForBenchmark()
            steady.append(ContinuousClock.now - t)
        }
        let runningAfterSteady = try await runningCount(store)

        // Where a steady pass spends its time (all 1,000 still running): the store query, and the master DB query.
        let master = MasterDatabase(path: masterPath)
        var storeReads: [Duration] = []
        var masterReads: [Duration] = []
        for _ in 0..<passes {
            var t = ContinuousClock.now
            let (_, workflows) = try await store.activeWork()
            storeReads.append(ContinuousClock.now - t)
            let runs = Dictionary(
                uniqueKeysWithValues: workflows.compactMap { w in w.wfUUID.map { ($0, w.runStartedAt ?? 0) } })
            t = ContinuousClock.now
            _ = try await master.states(runs)
            masterReads.append(ContinuousClock.now - t)
        }

        var churn: [Duration] = []
        var next = 0
        let perPass = 10
        for _ in 0..<min(passes, activeIDs.count / perPass) {
            let ending = activeIDs[next..<next + perPass]
            next += perPass
            try await masterWriter.write { db in
                for n in ending {
                    try db.execute(
                        sql: """
                            INSERT INTO master_workflowstate (wf_id, state, timestamp, restart_count, status, reason)
                            VALUES (?, 'WORKFLOW_TERMINATED', ?, 0, 0, NULL)
                            """, arguments: [n + 1, Date().timeIntervalSince1970])
                }
            }
            let t = ContinuousClock.now
            try await scheduler.runPassForBenchmark()
            churn.append(ContinuousClock.now - t)
        }
        let runningAfterChurn = try await runningCount(store)
        guard runningAfterSteady == activeIDs.count, runningAfterChurn == activeIDs.count - next else {
            fatalError("unexpected RUNNING counts: \(runningAfterSteady) after A, \(runningAfterChurn) after B")
        }

        steady.sort()
        churn.sort()
        storeReads.sort()
        masterReads.sort()
        print("")
        print("| one scheduler pass, \(total) workflows, \(active) RUNNING | p50 | p90 | p99 | max |")
        print("|---|---|---|---|---|")
        print("| first pass (opens the master DB) | \(ms(coldTime)) | | | |")
        print(
            "| A. steady state (\(steady.count) passes) | \(ms(percentile(steady, 0.5))) | \(ms(percentile(steady, 0.9))) | "
                + "\(ms(percentile(steady, 0.99))) | \(ms(steady.last!)) |")
        if !churn.isEmpty {
            print(
                "| B. \(perPass) terminations per pass (\(churn.count) passes) | \(ms(percentile(churn, 0.5))) | "
                    + "\(ms(percentile(churn, 0.9))) | \(ms(percentile(churn, 0.99))) | \(ms(churn.last!)) |")
        }
        print(
            "| of which: store query (active workflows) | \(ms(percentile(storeReads, 0.5))) | "
                + "\(ms(percentile(storeReads, 0.9))) | \(ms(percentile(storeReads, 0.99))) | \(ms(storeReads.last!)) |"
        )
        print(
            "| of which: master DB query (running wf_uuids) | \(ms(percentile(masterReads, 0.5))) | "
                + "\(ms(percentile(masterReads, 0.9))) | \(ms(percentile(masterReads, 0.99))) | \(ms(masterReads.last!)) |"
        )
    }
}
