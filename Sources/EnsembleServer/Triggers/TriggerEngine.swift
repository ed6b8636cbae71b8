import EnsembleCore
import EnsembleStore
import Foundation
import Logging
import PegasusConfig
import TriggerKit

/// The trigger engine as the ensemble manager runs it: TriggerKit's supervisor (the service to run), fed with
/// the stored triggers, delivering into the store (``StoreTriggerSink``) and moving submitted inputs into
/// `processed/` (``ProcessedFilesMover``).
public struct TriggerEngine: TriggerControl {
    /// The service to run in the server's service group.
    public let supervisor: TriggerSupervisor
    let store: EMStore
    let logger: Logger
    let reconcileInterval: Double
    /// Directories never matched by file patterns (the EM's own files).
    let excluded: [String]

    public init(
        store: EMStore, workflows: any WorkflowControl, configuration: PegasusConfiguration, health: HealthRegistry,
        logger: Logger, metrics: TriggerMetrics = .disabled
    ) throws {
        let reconcileInterval = try configuration.seconds("RECONCILE_INTERVAL") ?? 300
        let excluded = [configuration.home + "/.pegasus"]
        let mover = ProcessedFilesMover(store: store, logger: logger)
        self.store = store
        self.logger = logger
        self.reconcileInterval = reconcileInterval
        self.excluded = excluded
        self.supervisor = TriggerSupervisor(
            sink: StoreTriggerSink(store: store, workflows: workflows, mover: mover), logger: logger,
            restore: {
                // Moves into processed/ that a crash interrupted are finished before anything else.
                await mover.moveRecorded()
                var specs: [TriggerSpec] = []
                for entry in try await store.runningTriggers() {
                    do {
                        specs.append(
                            try Self.spec(
                                try entry.trigger.get(), ensemble: entry.ensemble,
                                reconcileInterval: reconcileInterval, excluded: excluded))
                    } catch {
                        // A row that cannot be read or a definition that no longer builds (edited store, a rule
                        // tightened since) would otherwise stay RUNNING without running, or stop the server: it
                        // fails, visibly, with the reason, and the others run.
                        await Self.failUnrestorable(
                            id: entry.id, "\(entry.ensemble).\(entry.name)", error, store, logger)
                    }
                }
                return specs
            },
            reload: { id in
                guard let (ensemble, t) = try await store.trigger(id: id), t.state.isLive else { return nil }
                return try Self.spec(t, ensemble: ensemble, reconcileInterval: reconcileInterval, excluded: excluded)
            },
            changes: store.triggerChanges.changes,
            onCycle: { health.cycle("triggers") }, metrics: metrics)
        health.register("triggers")
    }

    /// Marks a stored live trigger whose definition cannot be restored FAILED, with the reason in its row, its
    /// history (`failed`) and the log. If even that cannot be stored, the trigger stays as it is (not run) and the
    /// log says so: the other triggers still start.
    static func failUnrestorable(
        id: Int64, _ label: String, _ error: any Error, _ store: EMStore, _ logger: Logger
    ) async {
        let reason = "cannot restore at start: \(error)"
        logger.error(
            "trigger marked FAILED: its stored definition cannot be restored",
            metadata: ["trigger": "\(label)", "error": "\(error)"])
        do {
            try await store.failTrigger(id: id, reason: reason)
        } catch {
            logger.error(
                "could not mark the trigger FAILED; it is not run",
                metadata: ["trigger": "\(label)", "error": "\(error)"])
        }
    }

    /// Builds TriggerKit's view of a stored trigger.
    static func spec(_ t: TriggerRecord, ensemble: String, reconcileInterval: Double, excluded: [String]) throws
        -> TriggerSpec
    {
        let d = t.definition
        // After a schedule change the schedule counts from its anchor; ticks handled before it do not count.
        let anchor = t.scheduleAnchor ?? t.created
        let start = Date(timeIntervalSince1970: anchor)
        let lastHandled = t.lastFire.flatMap { $0 >= anchor ? Date(timeIntervalSince1970: $0) : nil }
        let schedule: TriggerSchedule
        if let cron = d.cron {
            schedule = .cron(try CronExpression(cron, timeZoneIdentifier: d.timezone ?? "UTC"), created: start)
        } else {
            guard let every = TriggerDuration(seconds: d.interval ?? 0) else {
                throw EMError(.invalid, "trigger \(t.name) has no interval")
            }
            schedule = .interval(start: start, every: every)
        }
        var files: FileTriggerOptions?
        if t.type == .filePattern {
            let commandBytes = ([t.workflowScript] + t.workflowArgs + ["--inputs"]).reduce(0) { $0 + $1.utf8.count + 9 }
            let rules = ReadinessRules(settle: d.settle, readyMarker: try d.readyMarker.map { try ReadyMarker($0) })
            files = FileTriggerOptions(
                patterns: try FilePatternSet(d.filePatterns ?? []), rules: rules,
                maxFiles: d.maxFiles ?? FileTriggerOptions.defaultMaxFiles, commandBytes: commandBytes,
                watchMode: FileWatchMode(definition: d.watchMode),
                // A symbolic link to a file is an input under the link's path (Pegasus' glob matches links too);
                // it is never resolved or moved.
                followSymlinks: true, reconcileInterval: reconcileInterval, excludedDirectories: excluded)
        }
        return TriggerSpec(
            id: t.id!, label: "\(ensemble).\(t.name)", schedule: schedule,
            catchup: CatchupPolicy(rawValue: d.catchup ?? "one") ?? .one,
            deadline: t.deadline.map { Date(timeIntervalSince1970: $0) },
            lastHandled: lastHandled, nextFire: t.nextFire.map { Date(timeIntervalSince1970: $0) }, files: files,
            paused: t.state == .paused, pauseReason: t.reason,
            bufferedTick: t.bufferedTick.map { Date(timeIntervalSince1970: $0) })
    }

    // MARK: - TriggerControl

    public func start(_ trigger: TriggerRecord, ensemble: String) async {
        do {
            let spec = try Self.spec(
                trigger, ensemble: ensemble, reconcileInterval: reconcileInterval, excluded: excluded)
            await supervisor.start(spec)
        } catch {
            logger.error("cannot start trigger", metadata: ["trigger": "\(trigger.name)", "error": "\(error)"])
            _ = try? await store.setTriggerState(id: trigger.id!, .failed, reason: "cannot start: \(error)")
        }
    }

    public func stop(triggerID: Int64) async {
        await supervisor.stop(id: triggerID)
    }

    public func fire(triggerID: Int64) async -> (workflows: [String], note: String?) {
        guard let outcome = await supervisor.fire(id: triggerID) else { return ([], "the trigger is not running") }
        return (outcome.workflows, outcome.note)
    }

    public func preview(triggerID: Int64, count: Int) async -> TriggerPreview? {
        await supervisor.preview(id: triggerID, count: count)
    }

    public func existingFiles(_ trigger: TriggerRecord) async throws -> [TriggerInput] {
        var unsaved = trigger
        unsaved.id = unsaved.id ?? 0
        let spec = try Self.spec(unsaved, ensemble: "", reconcileInterval: reconcileInterval, excluded: excluded)
        guard let options = spec.files else { return [] }
        return await supervisor.watching.currentFiles(options)
    }

    public func details(triggerID: Int64) async -> [String: JSONValue] {
        guard let status = await supervisor.details(id: triggerID) else { return [:] }
        let roots: [JSONValue] = status.roots.map { root in
            [
                "path": .string(root.path), "mode": .string(root.mode == .polling ? "poll" : "inotify"),
                "reason": .string(root.reason), "watched_directories": .int(root.watchedDirectories),
                "state": .string(root.state), "readiness": .string(Self.describe(root.rule, status)),
            ]
        }
        var result: [String: JSONValue] = [
            "watch": [
                "roots": .array(roots), "pending_files": .int(status.pendingFiles),
                "oldest_pending_age": .double(status.oldestPendingAge),
                "quiet_period": .double(status.quietPeriod), "settle": .double(status.settle),
                "ready_marker": .string(status.readyMarker),
                "hub": [
                    "inotify": .bool(status.hub.inotifyAvailable), "inotify_reason": .string(status.hub.inotifyReason),
                    "subscriptions": .int(status.hub.subscriptions), "watches": .int(status.hub.watches),
                    "watch_limit": .int(status.hub.watchLimit),
                    "polled_roots": .int(status.hub.polledRoots), "queue_overflows": .int(status.hub.queueOverflows),
                    "subscriber_overflows": .int(status.hub.subscriberOverflows),
                ],
            ]
        ]
        if let scan = status.lastScan, case .object(var watch)? = result["watch"] {
            watch["last_scan"] = [
                "count": .int(scan.count), "finished": .double(scan.finished.timeIntervalSince1970),
                "seconds": .double(scan.seconds), "files": .int(scan.files), "recorded": .int(scan.recorded),
            ]
            result["watch"] = .object(watch)
        }
        // Quiet ticks of file triggers are not persisted: the running trigger knows its next fire.
        if let next = status.nextFire { result["next_fire"] = .double(next.timeIntervalSince1970) }
        return result
    }

    /// The readiness rule of a root in words, e.g. `writer check, quiet 0.025 s`.
    static func describe(_ rule: ReadinessRule?, _ status: FileTriggerStatus) -> String {
        let marker = status.readyMarker.map { ", ready marker \($0)" } ?? ""
        switch rule {
        case .writerCheck?:
            return "writer check, quiet \(status.quietPeriod) s\(marker)"
        case .settle(let reason)?:
            return "settle \(status.settle) s (writer check refused: \(reason))\(marker)"
        case nil:
            return
                "writer check, quiet \(status.quietPeriod) s, or settle \(status.settle) s where refused (no file looked at yet)\(marker)"
        }
    }
}
