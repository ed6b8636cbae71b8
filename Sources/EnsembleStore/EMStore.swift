import EnsembleCore
import Foundation
import GRDB

/// The EM's SQLite store (`~/.pegasus/em.db`): one WAL `DatabasePool` per process.
///
/// Every domain operation is one transaction, so an answer the API gives (201, 200) is durable and nothing is
/// ever half-written. The type is `Sendable` so route handlers and services can share it.
public final class EMStore: Sendable {
    /// The pool; exposed for services that need their own queries.
    public let pool: DatabasePool
    /// The database file.
    public let path: String
    /// Ids of triggers one of whose workflows ended (after the commit): the trigger engine listens.
    public let triggerChanges: TriggerChangeFeed = TriggerChangeFeed()

    /// Opens (creating if needed) the store and migrates it to the current schema.
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // FULL keeps every committed transaction across power loss, not just process crashes.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Keep the WAL from staying large after bursts of writes (it is truncated after checkpoints).
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try StoreMigrations.migrator().migrate(pool)
    }

    /// Seconds since the epoch, as stored.
    public static func now() -> Double { Date().timeIntervalSince1970 }

    /// `PRAGMA integrity_check` result (`ok` when healthy).
    public func integrityCheck() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no result" }
    }

    /// A trivial read, to show the store is reachable in `/health`.
    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}

// MARK: - Ensembles

extension EMStore {
    /// All ensembles in creation order.
    public func ensembles() async throws -> [EnsembleRecord] {
        try await pool.read { db in try EnsembleRecord.order(Column("created"), Column("id")).fetchAll(db) }
    }

    /// One ensemble, or a not-found error with Pegasus' message.
    public func ensemble(named name: String) async throws -> EnsembleRecord {
        try await pool.read { db in try Self.ensemble(db, name) }
    }

    static func ensemble(_ db: Database, _ name: String) throws -> EnsembleRecord {
        guard let e = try EnsembleRecord.filter(Column("name") == name).fetchOne(db) else {
            throw EMError.notFound("No such ensemble: \(name)")
        }
        return e
    }

    /// Creates an ensemble (ACTIVE).
    public func createEnsemble(name: String, maxPlanning: Int, maxRunning: Int) async throws -> EnsembleRecord {
        try await pool.write { db in
            if try EnsembleRecord.filter(Column("name") == name).fetchCount(db) > 0 {
                throw EMError.conflict("Ensemble \(name) already exists")
            }
            let now = Self.now()
            var e = EnsembleRecord(
                id: nil, name: name, created: now, updated: now, state: .active, maxRunning: maxRunning,
                maxPlanning: maxPlanning)
            try e.insert(db)
            return e
        }
    }

    /// Changes an ensemble's state and limits; `updated` is bumped as in Pegasus.
    public func updateEnsemble(name: String, state: EnsembleState?, maxPlanning: Int?, maxRunning: Int?) async throws
        -> EnsembleRecord
    {
        try await pool.write { db in
            var e = try Self.ensemble(db, name)
            if let state { e.state = state }
            if let maxPlanning { e.maxPlanning = maxPlanning }
            if let maxRunning { e.maxRunning = maxRunning }
            e.updated = Self.now()
            try e.update(db)
            return e
        }
    }

    /// Deletes an ensemble that has no active workflow and no running or paused trigger, with its history.
    public func deleteEnsemble(name: String) async throws {
        try await pool.write { db in
            let e = try Self.ensemble(db, name)
            let active = try WorkflowRecord.filter(Column("ensemble_id") == e.id!)
                .filter(WorkflowState.active.map(\.rawValue).contains(Column("state"))).fetchCount(db)
            if active > 0 {
                throw EMError.conflict(
                    "Ensemble \(name) has \(active) active workflow(s): abort them or wait until they finish")
            }
            let triggers = try TriggerRecord.filter(Column("ensemble_id") == e.id!)
                .filter([TriggerState.running, .paused].map(\.rawValue).contains(Column("state"))).fetchCount(db)
            if triggers > 0 {
                throw EMError.conflict(
                    "Ensemble \(name) has \(triggers) running or paused trigger(s): stop them first")
            }
            _ = try EnsembleRecord.deleteOne(db, key: e.id!)
        }
    }
}

// MARK: - Workflows

/// What a client submits to create a workflow.
public struct WorkflowSubmission: Sendable, Equatable {
    public var name: String
    public var priority: Int
    public var basedir: String
    public var planArgv: [String]
    public var triggerID: Int64?

    public init(name: String, priority: Int, basedir: String, planArgv: [String], triggerID: Int64? = nil) {
        self.name = name
        self.priority = priority
        self.basedir = basedir
        self.planArgv = planArgv
        self.triggerID = triggerID
    }
}

extension EMStore {
    /// The workflows of an ensemble in creation order.
    public func workflows(ensemble: String) async throws -> [WorkflowRecord] {
        try await pool.read { db in
            let e = try Self.ensemble(db, ensemble)
            return try WorkflowRecord.filter(Column("ensemble_id") == e.id!).order(Column("created"), Column("id"))
                .fetchAll(db)
        }
    }

    /// One workflow with its ensemble.
    public func workflow(ensemble: String, name: String) async throws -> (EnsembleRecord, WorkflowRecord) {
        try await pool.read { db in try Self.workflow(db, ensemble, name) }
    }

    static func workflow(_ db: Database, _ ensemble: String, _ name: String) throws -> (EnsembleRecord, WorkflowRecord)
    {
        let e = try Self.ensemble(db, ensemble)
        guard let w = try WorkflowRecord.filter(Column("ensemble_id") == e.id! && Column("name") == name).fetchOne(db)
        else {
            throw EMError.notFound("No such ensemble workflow: \(name)")
        }
        return (e, w)
    }

    /// The state history of a workflow, oldest first.
    public func history(workflowID: Int64) async throws -> [WorkflowHistoryRecord] {
        try await pool.read { db in
            try WorkflowHistoryRecord.filter(Column("workflow_id") == workflowID).order(Column("id")).fetchAll(db)
        }
    }

    /// Inserts a READY workflow in an open transaction (used by the API and, in the same transaction as its
    /// fire record or file ledger, by triggers).
    static func insertWorkflow(_ db: Database, ensemble e: EnsembleRecord, _ s: WorkflowSubmission, now: Double)
        throws -> WorkflowRecord
    {
        if try WorkflowRecord.filter(Column("ensemble_id") == e.id! && Column("name") == s.name).fetchCount(db) > 0 {
            throw EMError.conflict("Ensemble workflow \(s.name) already exists")
        }
        var w = WorkflowRecord(
            id: nil, ensembleID: e.id!, name: s.name, basedir: s.basedir,
            planCommand: PlanCommand.pegasusString(s.planArgv), planArgv: s.planArgv, created: now, updated: now,
            state: .ready, priority: s.priority, wfUUID: nil, submitdir: nil, triggerID: s.triggerID, reason: nil,
            diagnostic: nil, job: nil, runStartedAt: nil, runCount: 0, stateChanged: now)
        try w.insert(db)
        var h = WorkflowHistoryRecord(
            id: nil, workflowID: w.id!, time: now, fromState: nil, toState: .ready,
            reason: s.triggerID == nil ? "submitted" : "submitted by trigger")
        try h.insert(db)
        return w
    }

    /// Submits a workflow (READY) to an ensemble.
    public func submitWorkflow(ensemble: String, _ submission: WorkflowSubmission) async throws -> WorkflowRecord {
        try await pool.write { db in
            let e = try Self.ensemble(db, ensemble)
            return try Self.insertWorkflow(db, ensemble: e, submission, now: Self.now())
        }
    }

    /// Records a state change with its reason in the workflow and its history (inside a transaction).
    func transition(
        _ db: Database, _ w: inout WorkflowRecord, to state: WorkflowState, reason: String?, now: Double
    ) throws {
        let from = w.state
        if let triggerID = w.triggerID, from.isActive, state.isFinal {
            try Self.workflowEnded(db, triggerID: triggerID, workflow: w.name, state: state, now: now)
            let feed = triggerChanges
            db.afterNextTransaction { _ in feed.yield(triggerID) }
        }
        w.state = state
        w.reason = reason
        w.stateChanged = now
        w.updated = now
        try w.update(db)
        var h = WorkflowHistoryRecord(
            id: nil, workflowID: w.id!, time: now, fromState: from, toState: state, reason: reason)
        try h.insert(db)
    }

    /// Applies a user's edit: priority first, then a state change (replan, rerun, abort), as Pegasus does.
    /// Nothing is committed when either is invalid.
    /// - Returns: the updated workflow and the state it left, when the state changed.
    public func updateWorkflow(ensemble: String, name: String, priority: Int?, state: String?) async throws
        -> (workflow: WorkflowRecord, previous: WorkflowRecord)
    {
        try await pool.write { db in
            var (_, w) = try Self.workflow(db, ensemble, name)
            let previous = w
            let now = Self.now()
            if let priority { w.priority = priority }
            w.updated = now
            if let state {
                let target = try w.state.userTransition(to: state)
                let reason: String
                switch target {
                case .ready:
                    reason = "replan requested"
                    w.submitdir = nil
                    w.wfUUID = nil
                    w.diagnostic = nil
                case .queued:
                    reason = "rerun requested"
                    w.diagnostic = nil
                case .aborted: reason = "abort requested"
                default: reason = "requested"
                }
                try self.transition(db, &w, to: target, reason: reason, now: now)
            } else {
                try w.update(db)
            }
            return (w, previous)
        }
    }

    /// Deletes a workflow that is not active.
    public func deleteWorkflow(ensemble: String, name: String) async throws -> WorkflowRecord {
        try await pool.write { db in
            let (_, w) = try Self.workflow(db, ensemble, name)
            guard w.state.isFinal else {
                throw EMError.conflict("Workflow \(name) is \(w.state.rawValue): abort it or wait until it finishes")
            }
            _ = try WorkflowRecord.deleteOne(db, key: w.id!)
            return w
        }
    }
}
