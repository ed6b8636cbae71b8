import Foundation
import Logging
import PegasusConfig
import TriggerKit
import Watchers

#if canImport(Glibc)
    import Glibc
#endif

/// The trigger engine as the ensemble manager runs it: TriggerKit's supervisor, with the store as its sink
/// (every submission one transaction) and the scheduler woken after each submission.
public final class TriggerEngine: TriggerControl, TriggerSink {
    let store: EMStore
    let workflows: any WorkflowControl
    let logger: Logger
    let reconcileInterval: Double
    /// Directories never matched by file patterns (the EM's own files).
    let excluded: [String]
    /// Set once at assembly, before the supervisor runs.
    private let supervisorBox = SupervisorBox()

    public init(
        store: EMStore, workflows: any WorkflowControl, configuration: PegasusConfiguration, health: HealthRegistry,
        logger: Logger
    ) throws {
        self.store = store
        self.workflows = workflows
        self.logger = logger
        self.reconcileInterval = try configuration.seconds("RECONCILE_INTERVAL") ?? 300
        self.excluded = [configuration.home + "/.pegasus"]
        let supervisor = TriggerSupervisor(
            sink: self, logger: logger,
            restore: { [store, reconcileInterval, excluded, logger] in
                // Moves into processed/ that a crash interrupted are finished before anything else.
                await Self.completeMoves(store: store, logger: logger)
                return try await store.runningTriggers().compactMap { entry in
                    try? Self.spec(
                        entry.trigger, ensemble: entry.ensemble, reconcileInterval: reconcileInterval,
                        excluded: excluded)
                }
            },
            onCycle: { health.cycle("triggers") })
        health.register("triggers")
        supervisorBox.supervisor = supervisor
    }

    /// The service to run in the server's service group.
    public var supervisor: TriggerSupervisor { supervisorBox.supervisor! }

    /// Builds TriggerKit's view of a stored trigger.
    static func spec(_ t: TriggerRecord, ensemble: String, reconcileInterval: Double, excluded: [String]) throws
        -> TriggerSpec
    {
        let d = t.definition
        let created = Date(timeIntervalSince1970: t.created)
        let schedule: TriggerSchedule
        if let cron = d.cron {
            schedule = .cron(try CronExpression(cron, timeZoneIdentifier: d.timezone ?? "UTC"), created: created)
        } else {
            guard let every = TriggerDuration(seconds: d.interval ?? 0) else {
                throw EMError(.invalid, "trigger \(t.name) has no interval")
            }
            schedule = .interval(start: created, every: every)
        }
        var files: FileTriggerOptions?
        if t.type == .filePattern {
            // A symbolic link to a file is an input under the link's path (Pegasus' glob matches links too);
            // it is never resolved or moved.
            var watch = SubscriptionOptions(followSymlinks: true)
            switch d.watchMode {
            case "inotify": watch.mode = .inotify
            case "poll": watch.mode = .polling
            default: watch.mode = .automatic
            }
            let commandBytes = ([t.workflowScript] + t.workflowArgs + ["--inputs"]).reduce(0) { $0 + $1.utf8.count + 9 }
            let rules = ReadinessRules(settle: d.settle, readyMarker: try d.readyMarker.map { try ReadyMarker($0) })
            files = FileTriggerOptions(
                patterns: try FilePatternSet(d.filePatterns ?? []), rules: rules,
                maxFiles: d.maxFiles ?? FileTriggerOptions.defaultMaxFiles, commandBytes: commandBytes,
                watch: watch, reconcileInterval: reconcileInterval, excludedDirectories: excluded)
        }
        return TriggerSpec(
            id: t.id!, label: "\(ensemble).\(t.name)", schedule: schedule,
            catchup: CatchupPolicy(rawValue: d.catchup ?? "one") ?? .one,
            deadline: t.deadline.map { Date(timeIntervalSince1970: $0) },
            lastHandled: t.lastFire.map { Date(timeIntervalSince1970: $0) },
            nextFire: t.nextFire.map { Date(timeIntervalSince1970: $0) }, files: files)
    }

    /// Moves recorded files into `processed/` (Pegasus' behaviour, on request), exactly once: the destination
    /// was chosen and recorded with the workflow; a file already there, or replaced meanwhile, is not moved again.
    func completeMoves() async {
        await Self.completeMoves(store: store, logger: logger)
    }

    static func completeMoves(store: EMStore, logger: Logger) async {
        guard let moves = try? await store.pendingMoves(), !moves.isEmpty else { return }
        var done: [Int64] = []
        for move in moves {
            // attributesOfItem does not follow symbolic links: a linked input is moved as the link.
            if (try? FileManager.default.attributesOfItem(atPath: move.destination)) != nil {
                done.append(move.id)
                continue
            }
            let source = try? FileManager.default.attributesOfItem(atPath: move.source)
            guard let source, (source[.systemFileNumber] as? NSNumber)?.uint64Value == move.inode,
                (source[.systemNumber] as? NSNumber)?.uint64Value == move.device
            else {
                logger.warning("input vanished before its move", metadata: ["path": "\(move.source)"])
                done.append(move.id)
                continue
            }
            let directory = (move.destination as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if rename(move.source, move.destination) != 0 {
                // Not retried: the workflow must not wait forever; its planner will report the missing input.
                logger.error(
                    "cannot move input into processed/",
                    metadata: ["path": "\(move.source)", "error": "\(String(cString: strerror(errno)))"])
            }
            done.append(move.id)
        }
        try? await store.markMoved(done)
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

    public func details(triggerID: Int64) async -> [String: JSONValue] {
        guard let status = await supervisor.details(id: triggerID) else { return [:] }
        let roots: [JSONValue] = status.roots.map { root in
            [
                "path": .string(root.watch.root), "mode": .string(root.watch.mode == .polling ? "poll" : "inotify"),
                "reason": .string(root.watch.reason), "watched_directories": .int(root.watch.watchedDirectories),
                "state": .string("\(root.watch.state)"), "readiness": .string(Self.describe(root.rule, status)),
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

    // MARK: - TriggerSink

    public func fire(triggerID: Int64, tick: Date, coalescedTicks: Int, nextFire: Date?) async throws -> String? {
        let name = try await store.fireTrigger(
            id: triggerID, tick: tick.timeIntervalSince1970, nextFire: nextFire?.timeIntervalSince1970)
        if name != nil { workflows.wake() }
        return name
    }

    public func advance(triggerID: Int64, handledThrough: Date?, nextFire: Date?) async throws {
        try await store.advanceTrigger(
            id: triggerID, handledThrough: handledThrough?.timeIntervalSince1970,
            nextFire: nextFire?.timeIntervalSince1970)
    }

    public func submitFiles(triggerID: Int64, files: [ScannedFile], nextFire: Date?) async throws -> String? {
        let name = try await store.submitTriggerFiles(
            id: triggerID, files: files, nextFire: nextFire?.timeIntervalSince1970)
        if name != nil {
            await completeMoves()
            workflows.wake()
        }
        return name
    }

    public func expire(triggerID: Int64) async throws {
        try await store.setTriggerState(id: triggerID, .expired, reason: "timeout reached")
    }

    public func report(triggerID: Int64, reason: String?) async {
        try? await store.setTriggerReason(id: triggerID, reason)
    }
}

/// Holds the supervisor, which needs the engine (its sink) before the engine can hold it.
final class SupervisorBox: @unchecked Sendable {
    var supervisor: TriggerSupervisor?
}
