import EnsembleCore
import EnsembleStore
import Foundation
import Logging
import ServiceLifecycle
import TriggerKit

#if canImport(Glibc)
    import Glibc
#endif

/// The ensemble manager's scheduler: plans and runs workflows within each ensemble's limits, strictly by
/// priority (higher first, then FIFO by creation), and follows them to the end.
///
/// It wakes at once on a submit or edit (``wake()``), within 50 ms of a planner or pegasus-run exiting, within a
/// quarter second of the master DB changing while workflows run, and every `EM_INTERVAL` as a safety net. A
/// failing pass is logged and the next one runs; `/health` shows the last pass.
public actor WorkflowScheduler: Service, WorkflowControl {
    /// Timing and file settings.
    public struct Configuration: Sendable {
        public var interval: Duration = .seconds(60)
        public var planningTimeout: Double = 3600
        public var runTimeout: Double = 600
        /// How long after pegasus-run a missing master DB row becomes a diagnostic.
        public var masterGrace: Double = 600
        /// `~/.pegasus/ensembles`.
        public var ensemblesDirectory: String
        /// How often finished jobs are looked for while jobs are in flight.
        public var jobPoll: Duration = .milliseconds(50)

        public init(ensemblesDirectory: String) {
            self.ensemblesDirectory = ensemblesDirectory
        }
    }

    let store: EMStore
    let launcher: JobLauncher
    let master: MasterDatabase
    let configuration: Configuration
    let health: HealthRegistry
    let logger: Logger
    let metrics: EnsembleMetrics?
    nonisolated let signal = AsyncSignal()

    /// What a pass leaves to watch until the next one.
    struct Watch {
        var jobs: [(job: JobHandle, resultFile: String, deadline: Double)] = []
        var monitoring = false
        var retrySoon = false
        /// The master DB's stamp taken just before the pass read it, so a write during the rest of the pass
        /// still wakes the next wait.
        var masterStamp: [Int]?
        /// When a run without a master DB row reaches `masterGrace` and needs its diagnostic.
        var wakeAt: Double?
    }

    public init(
        store: EMStore, launcher: JobLauncher, master: MasterDatabase, configuration: Configuration,
        health: HealthRegistry, logger: Logger, metrics: EnsembleMetrics? = nil
    ) {
        self.metrics = metrics
        self.store = store
        self.launcher = launcher
        self.master = master
        self.configuration = configuration
        self.health = health
        self.logger = logger
    }

    // MARK: - Service

    public func run() async throws {
        health.register("scheduler")
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                var watch = Watch()
                let started = ContinuousClock.now
                do {
                    watch = try await pass()
                    metrics?.schedulerPassed(ContinuousClock.now - started, failed: false)
                    health.cycle("scheduler")
                } catch {
                    metrics?.schedulerPassed(ContinuousClock.now - started, failed: true)
                    logger.error("scheduler pass failed", metadata: ["error": "\(error)"])
                    health.cycle("scheduler", error: "\(error)")
                    master.reset()
                    watch.retrySoon = true
                }
                await waitForWork(watch)
            }
        } onGracefulShutdown: {
            self.signal.signal()
        }
    }

    /// Sleeps until something may have changed: a wake-up, a finished job, a master DB write, or the interval.
    func waitForWork(_ watch: Watch) async {
        let start = ContinuousClock.now
        let limit = watch.retrySoon ? Duration.seconds(1) : configuration.interval
        let masterStamp: [Int]?
        if watch.monitoring {
            if let stamp = watch.masterStamp { masterStamp = stamp } else { masterStamp = await master.stamp() }
        } else {
            masterStamp = nil
        }
        while ContinuousClock.now - start < limit {
            let polling = !watch.jobs.isEmpty || watch.monitoring
            let step = polling ? (watch.jobs.isEmpty ? .milliseconds(250) : configuration.jobPoll) : limit
            if await signal.wait(timeout: min(step, limit - (ContinuousClock.now - start))) { return }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            let now = Date().timeIntervalSince1970
            for entry in watch.jobs {
                if now > entry.deadline || entry.job.status(resultFile: entry.resultFile) != .running { return }
            }
            if watch.monitoring, await master.stamp() != masterStamp { return }
            if let wakeAt = watch.wakeAt, now >= wakeAt { return }
        }
    }

    // MARK: - WorkflowControl

    public nonisolated func wake() { signal.signal() }

    public func aborted(_ previous: WorkflowRecord, ensemble: String) async {
        if let job = previous.job {
            await terminate(job)
        }
        if previous.state == .running, let submitdir = previous.submitdir {
            do {
                _ = try await launcher.launch(
                    kind: .run, argv: ["pegasus-remove", submitdir], directory: previous.basedir,
                    log: logPath(ensemble, previous.name),
                    resultFile: filePath(ensemble, previous.name, "remove.result"))
            } catch {
                logger.error(
                    "pegasus-remove failed",
                    metadata: ["workflow": "\(ensemble).\(previous.name)", "error": "\(error)"])
            }
        }
    }

    public func analyze(_ workflow: WorkflowRecord, ensemble: String) async throws -> String {
        let history = try await store.history(workflowID: workflow.id!)
        return await WorkflowAnalysis.report(
            workflow, log: logPath(ensemble, workflow.name), history: history, environment: launcher.environment)
    }

    /// SIGTERM to the job's process group, then SIGKILL if it is still alive after two seconds.
    func terminate(_ job: JobHandle) async {
        job.signal(SIGTERM)
        for _ in 0..<40 {
            if !job.isAlive { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        job.signal(SIGKILL)
    }

    // MARK: - Paths

    func logPath(_ ensemble: String, _ workflow: String) -> String {
        filePath(ensemble, workflow, "log")
    }

    func filePath(_ ensemble: String, _ workflow: String, _ suffix: String) -> String {
        "\(configuration.ensemblesDirectory)/\(ensemble)/\(workflow).\(suffix)"
    }

    func resultFile(_ ensemble: String, _ w: WorkflowRecord, _ kind: JobHandle.Kind) -> String {
        filePath(ensemble, w.name, kind == .plan ? "plan.result" : "run.result")
    }

    // MARK: - The pass

    /// Runs one pass and drops what it leaves to watch (for `scheduler-bench`, a package of its own: public only
    /// to importers that ask for the `Benchmarks` SPI).
    @_spi(Benchmarks) public func runPassForBenchmark() async throws { _ = try await pass() }

    /// One scheduling pass: free finished slots first, then fill free slots by priority.
    func pass() async throws -> Watch {
        let (ensembles, loaded) = try await store.activeWork()
        var watch = Watch()
        var current: [WorkflowRecord] = []
        var monitorRuns: [String: Double] = [:]
        var restartCounts: [String: Int] = [:]
        let now = Date().timeIntervalSince1970

        // 1. Finished planners and pegasus-runs free their slots.
        for w in loaded {
            guard let ensemble = ensembles[w.ensembleID]?.name else { continue }
            var w = w
            switch (w.state, w.job) {
            case (.planning, let job?), (.running, let job?):
                let result = resultFile(ensemble, w, job.kind)
                let timeout = job.kind == .plan ? configuration.planningTimeout : configuration.runTimeout
                let status = job.status(resultFile: result)
                if status == .running && now - job.startedAt <= timeout {
                    watch.jobs.append((job, result, job.startedAt + timeout))
                } else if let updated = try await finish(w, ensemble: ensemble, job: job, status: status) {
                    metrics?.jobEnded(
                        plan: job.kind == .plan, seconds: Date().timeIntervalSince1970 - job.startedAt,
                        failed: updated.state == .planFailed || updated.state == .runFailed)
                    w = updated
                    // pegasus-run is done: the run may even have ended already, so look at the master DB now.
                    if w.state == .running, w.job == nil, let uuid = w.wfUUID, let started = w.runStartedAt {
                        monitorRuns[uuid] = started
                    }
                } else {
                    watch.retrySoon = true
                    continue
                }
            case (.planning, nil):
                w = try await fail(w, .planning, .planFailed, "no planner process was recorded") ?? w
            case (.running, nil):
                if let uuid = w.wfUUID, let started = w.runStartedAt {
                    monitorRuns[uuid] = started
                } else {
                    w = try await fail(w, .running, .runFailed, "no wf_uuid or run start was recorded") ?? w
                }
            default:
                break
            }
            current.append(w)
        }

        // Completion of running workflows, from the master DB.
        if !monitorRuns.isEmpty {
            watch.monitoring = true
            watch.masterStamp = await master.stamp()
            for w in current where w.state == .running {
                if let uuid = w.wfUUID { restartCounts[uuid] = max(0, w.runCount - 1) }
            }
            let states = try await master.states(monitorRuns, minimumRestartCounts: restartCounts)
            for (i, w) in current.enumerated() where w.state == .running && w.job == nil {
                guard let uuid = w.wfUUID, let state = states[uuid] else { continue }
                if state == .unknown, w.diagnostic == nil, let started = w.runStartedAt {
                    watch.wakeAt = min(watch.wakeAt ?? .infinity, started + configuration.masterGrace)
                }
                if let updated = try await follow(w, state: state, now: now) { current[i] = updated }
            }
        }

        watch.monitoring = current.contains { $0.state == .running && $0.job == nil }

        // 2. Fill free slots per ensemble, strictly by priority then creation (the query's order).
        var planning: [Int64: Int] = [:]
        var running: [Int64: Int] = [:]
        for w in current {
            if w.state == .planning { planning[w.ensembleID, default: 0] += 1 }
            if w.state == .running { running[w.ensembleID, default: 0] += 1 }
        }
        for w in current where w.state == .ready || w.state == .queued {
            guard let e = ensembles[w.ensembleID], e.state == .active else { continue }
            if w.state == .ready, planning[e.id!, default: 0] < e.maxPlanning {
                if let started = try await startPlanning(w, ensemble: e.name), let job = started.job {
                    planning[e.id!, default: 0] += 1
                    watch.jobs.append(
                        (job, resultFile(e.name, started, .plan), job.startedAt + configuration.planningTimeout))
                }
            } else if w.state == .queued, running[e.id!, default: 0] < e.maxRunning {
                if let started = try await startRun(w, ensemble: e.name), let job = started.job {
                    running[e.id!, default: 0] += 1
                    watch.jobs.append(
                        (job, resultFile(e.name, started, .run), job.startedAt + configuration.runTimeout))
                }
            }
        }
        return watch
    }

    /// Records the end of a planner or pegasus-run.
    func finish(_ w: WorkflowRecord, ensemble: String, job: JobHandle, status: JobHandle.Status) async throws
        -> WorkflowRecord?
    {
        let what = job.kind == .plan ? "planner" : "pegasus-run"
        var failure: String?
        switch status {
        case .running:
            await terminate(job)
            let timeout = job.kind == .plan ? configuration.planningTimeout : configuration.runTimeout
            failure = "\(job.kind == .plan ? "planning" : "pegasus-run") timed out after \(Int(timeout)) s"
        case .vanished:
            failure = "the \(what) process disappeared without a result (killed, or the machine restarted)"
        case .exited(let code) where code > 128 && code < 160:
            failure = "the \(what) was killed by signal \(code - 128)"
        case .exited(let code) where code != 0:
            failure =
                "the \(what) exited with code \(code)"
                + (job.kind == .run ? tail(logPath(ensemble, w.name), from: job.logOffset) : "")
        case .exited:
            break
        }
        let expected = w.state
        let failedState: WorkflowState = job.kind == .plan ? .planFailed : .runFailed
        if let failure {
            return try await store.updateWorkflow(id: w.id!, expecting: expected, job: job) { w in
                w.job = nil
                return (failedState, failure)
            }
        }
        if job.kind == .run {
            return try await store.updateWorkflow(id: w.id!, expecting: .running, job: job) { w in
                w.job = nil
                return nil
            }
        }
        // Planning succeeded only with a submit directory and a readable wf_uuid.
        let output = PlanOutput.logTail(logPath(ensemble, w.name), from: job.logOffset)
        let outcome: Result<(String, String), EMError>
        if let dir = PlanOutput.submitDirectory(output: output, basedir: w.basedir) {
            do throws(EMError) {
                outcome = .success((dir, try PlanOutput.workflowUUID(submitDirectory: dir)))
            } catch {
                outcome = .failure(error)
            }
        } else {
            outcome = .failure(
                EMError(
                    .invalid,
                    "the planner exited 0 but printed no `pegasus-run <submit dir>` line (or --json submit_dir) "
                        + "naming an existing directory"))
        }
        return try await store.updateWorkflow(id: w.id!, expecting: .planning, job: job) { w in
            w.job = nil
            switch outcome {
            case .success(let (dir, uuid)):
                w.submitdir = dir
                w.wfUUID = uuid
                // A new submit directory: DAGMan's restart count starts again at 0.
                w.runCount = 0
                return (.queued, "planned: submit directory \(dir)")
            case .failure(let error):
                return (.planFailed, error.message)
            }
        }
    }

    func tail(_ log: String, from offset: Int64) -> String {
        let lines = PlanOutput.logTail(log, from: offset, limit: 8192).split(whereSeparator: \.isNewline).suffix(5)
        return lines.isEmpty ? "" : ": " + lines.joined(separator: " | ")
    }

    func fail(_ w: WorkflowRecord, _ expected: WorkflowState, _ state: WorkflowState, _ reason: String) async throws
        -> WorkflowRecord?
    {
        let failed = try await store.updateWorkflow(id: w.id!, expecting: expected) { w in
            w.job = nil
            return (state, reason)
        }
        if failed != nil, state == .planFailed || state == .runFailed { metrics?.jobFailed(plan: state == .planFailed) }
        return failed
    }

    /// Applies what the master DB says about a running workflow.
    func follow(_ w: WorkflowRecord, state: MasterDatabase.RunState, now: Double) async throws -> WorkflowRecord? {
        switch state {
        case .terminated(let status):
            return try await store.updateWorkflow(id: w.id!, expecting: .running) { w in
                w.diagnostic = nil
                return status == 0
                    ? (.successful, "workflow terminated with status 0")
                    : (.failed, "workflow terminated with status \(status)")
            }
        case .running:
            if w.diagnostic != nil { try await store.setDiagnostic(id: w.id!, nil) }
        case .unknown:
            let started = w.runStartedAt ?? now
            if now - started > configuration.masterGrace, w.diagnostic == nil {
                let minutes = Int((now - started) / 60)
                try await store.setDiagnostic(
                    id: w.id!,
                    "no master DB row for wf_uuid \(w.wfUUID ?? "?") in \(master.path) \(minutes) min after "
                        + "pegasus-run: is pegasus-monitord running, and does pegasus.catalog.master.url point there?")
            }
        }
        return nil
    }

    func startPlanning(_ w: WorkflowRecord, ensemble: String) async throws -> WorkflowRecord? {
        let job: JobHandle
        do {
            job = try await launcher.launch(
                kind: .plan, argv: w.planArgv, directory: w.basedir, log: logPath(ensemble, w.name),
                resultFile: resultFile(ensemble, w, .plan))
        } catch {
            return try await fail(w, .ready, .planFailed, "cannot start the planner: \(error.message)")
        }
        let started = try await store.updateWorkflow(id: w.id!, expecting: .ready) { w in
            w.job = job
            w.submitdir = nil
            w.wfUUID = nil
            return (.planning, "planning started (pid \(job.pid))")
        }
        if started == nil { await terminate(job) }
        return started
    }

    func startRun(_ w: WorkflowRecord, ensemble: String) async throws -> WorkflowRecord? {
        guard let submitdir = w.submitdir else {
            return try await fail(w, .queued, .runFailed, "no submit directory was recorded")
        }
        let job: JobHandle
        do {
            job = try await launcher.launch(
                kind: .run, argv: ["pegasus-run", submitdir], directory: w.basedir, log: logPath(ensemble, w.name),
                resultFile: resultFile(ensemble, w, .run))
        } catch {
            return try await fail(w, .queued, .runFailed, "cannot start pegasus-run: \(error.message)")
        }
        let started = try await store.updateWorkflow(id: w.id!, expecting: .queued) { w in
            w.job = job
            w.runStartedAt = job.startedAt
            w.runCount += 1
            w.diagnostic = nil
            return (.running, "pegasus-run started (pid \(job.pid))")
        }
        if started == nil { await terminate(job) }
        return started
    }
}
