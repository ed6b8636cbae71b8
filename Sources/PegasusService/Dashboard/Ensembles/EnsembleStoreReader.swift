import EnsembleCore
import EnsembleStore
import Foundation

/// One ensemble with the number of its workflows in each state (the ensembles list).
struct EnsembleSummary: Sendable, Equatable {
    var name: String
    var state: String
    var maxRunning: Int64
    var maxPlanning: Int64
    var created: Double?
    var updated: Double?
    var triggers: Int64
    var runningTriggers: Int64
    /// Paused triggers: counted apart from the running ones (a correlated COUNT beside `running_triggers`, cheap:
    /// an ensemble has few triggers and the `trigger (ensemble_id, name)` index finds them), because a trigger that
    /// paused itself after failures is what an operator looks for on the ensemble pages.
    var pausedTriggers: Int64 = 0
    /// Workflow counts by state; states without workflows are absent.
    var counts: [String: Int64] = [:]

    /// All workflows of the ensemble.
    var total: Int64 { counts.values.reduce(0, +) }

    /// Whether a workflow is waiting or in flight, or a trigger is live (the page then refreshes itself). A paused
    /// trigger counts: it is still a trigger, and it changes without anything happening on this page (resumed
    /// from the command line, or paused by its failure policy while the page is open).
    var isActive: Bool {
        runningTriggers + pausedTriggers > 0
            || counts.contains { EnsembleFormat.activeStates.contains($0.key) && $0.value > 0 }
    }
}

/// One state change of an ensemble workflow.
struct WorkflowTransition: Sendable, Equatable {
    var time: Double?
    var from: String?
    var to: String
    var reason: String?
}

/// An ensemble workflow with its state history, oldest change first.
struct EnsembleWorkflow: Sendable, Equatable {
    var id: Int64
    var ensemble: String
    var name: String
    var state: String
    var priority: Int64
    var created: Double?
    var updated: Double?
    var stateChanged: Double?
    var wfUUID: String?
    var submitdir: String?
    var basedir: String?
    var planCommand: String?
    var reason: String?
    var diagnostic: String?
    var runCount: Int64
    var trigger: String?
    var jobKind: String?
    var jobPID: Int64?
    var history: [WorkflowTransition] = []

    var isActive: Bool { EnsembleFormat.activeStates.contains(state) }
}

/// A trigger as stored (the triggers list and a trigger's page).
struct EnsembleTrigger: Sendable {
    var id: Int64
    var ensemble: String
    var name: String
    var type: String
    var state: String
    var reason: String?
    var created: Double?
    var updated: Double?
    var workflowScript: String
    var workflowArgs: [String]
    var definition: TriggerDefinition
    var basedir: String
    var priority: Int64
    var nextFire: Double?
    var deadline: Double?
    var fireCount: Int64
    var lastFire: Double?
    /// Where the schedule counts from after a schedule change (nil: the creation time).
    var scheduleAnchor: Double? = nil
    /// The trigger whose ledger this one shares (a re-created file trigger); nil: its own.
    var ledgerID: Int64? = nil
    /// Workflows of the trigger that ended failed in a row.
    var consecutiveFailures: Int64 = 0
    /// Ticks skipped by the overlap policy, and the last one with why.
    var skippedTicks: Int64 = 0
    var lastSkipTime: Double? = nil
    var lastSkipReason: String? = nil
    /// Overlap `buffer-one`: the tick waiting for the trigger's active workflow to end.
    var bufferedTick: Double? = nil

    /// Running: the only state in which the trigger fires (and has a next fire).
    var isRunning: Bool { state == TriggerState.running.rawValue }
    /// Paused by a user or by its failure policy: nothing fires until it is resumed.
    var isPaused: Bool { state == TriggerState.paused.rawValue }
    /// Running or paused: still a trigger rather than history, so its pages refresh themselves.
    var isLive: Bool { TriggerState(rawValue: state)?.isLive ?? false }
    var isFilePattern: Bool { type == TriggerType.filePattern.rawValue }
}

/// One row of a trigger's history: something done to the trigger, by whom, how many times in a row.
struct TriggerEvent: Sendable, Equatable {
    var time: Double?
    var event: String
    var user: String?
    var detail: String?
    var count: Int64
}

/// A file in a trigger's ledger.
struct TriggerLedgerFile: Sendable, Equatable {
    var path: String
    var size: Int64?
    var recorded: Double?
    var movedTo: String?
    var moveDone: Bool
    var workflow: String
    var workflowState: String?
}

/// One workflow a trigger submitted, with the files it received.
struct TriggerFiring: Sendable, Equatable {
    var workflow: String
    var time: Double?
    var tick: Double?
    /// The workflow's current state; nil when it was deleted.
    var workflowState: String?
    var files: [TriggerLedgerFile] = []
}

/// Reads a user's ensemble manager store (`~/.pegasus/em.db`) through the user's data source, so that with
/// PROCESS_SWITCHING the reads run as that user. Every page costs a handful of read-only queries, aggregated in
/// SQL. A missing store reads as nil ("no ensembles"), not as an error.
struct EnsembleStoreReader: Sendable {
    let scope: UserScope

    /// How many workflows the ensemble page lists at a time.
    static let pageSize = 200
    /// How many submissions the trigger page lists.
    static let submissionLimit = 50
    /// How many pending files the trigger page lists.
    static let pendingLimit = 500
    /// How many history rows the trigger page lists.
    static let historyLimit = 50

    /// Runs a query against the store; nil when there is no store.
    private func query(_ sql: String, _ arguments: [SQLValue] = []) async throws(UserDataFailure) -> [Fields]? {
        do {
            return try await scope.data.query(scope.emDatabase, sql, arguments).records.map(Fields.init)
        } catch let failure where failure.kind == .notFound {
            return nil
        }
    }

    // MARK: - Ensembles

    /// Every ensemble (or the one named) with its workflow counts, in creation order; nil without a store.
    func ensembles(named name: String? = nil) async throws(UserDataFailure) -> [EnsembleSummary]? {
        let rows = try await query(StoreReadQueries.ensembles(named: name != nil), name.map { [.text($0)] } ?? [])
        guard let rows else { return nil }
        var summaries: [EnsembleSummary] = []
        for row in rows {
            let ensemble = row.string("name")
            if summaries.last?.name != ensemble {
                summaries.append(
                    EnsembleSummary(
                        name: ensemble, state: row.string("state"), maxRunning: row.int("max_running"),
                        maxPlanning: row.int("max_planning"), created: row.double("created"),
                        updated: row.double("updated"), triggers: row.int("trigger_count"),
                        runningTriggers: row.int("running_triggers"), pausedTriggers: row.int("paused_triggers")))
            }
            if let state = row.optionalString("workflow_state") {
                summaries[summaries.count - 1].counts[state] = row.int("workflows")
            }
        }
        return summaries
    }

    /// One page of an ensemble's workflows, newest first, with their histories (one query).
    func workflows(ensemble: String, state: String?, offset: Int) async throws(UserDataFailure) -> [EnsembleWorkflow] {
        var arguments: [SQLValue] = [.text(ensemble)]
        if let state { arguments.append(.text(state)) }
        arguments += [.int(Int64(Self.pageSize)), .int(Int64(offset))]
        let rows = try await query(StoreReadQueries.workflowPage(filteredByState: state != nil), arguments)
        return Self.workflows(from: rows ?? [])
    }

    /// One workflow of an ensemble with its history; nil when there is none.
    func workflow(ensemble: String, name: String) async throws(UserDataFailure) -> EnsembleWorkflow? {
        let rows = try await query(StoreReadQueries.workflow, [.text(ensemble), .text(name)])
        return Self.workflows(from: rows ?? []).first
    }

    /// Groups workflow rows joined to their history rows (consecutive per workflow).
    private static func workflows(from rows: [Fields]) -> [EnsembleWorkflow] {
        var workflows: [EnsembleWorkflow] = []
        for row in rows {
            let id = row.int("id")
            if workflows.last?.id != id {
                workflows.append(
                    EnsembleWorkflow(
                        id: id, ensemble: row.string("ensemble_name"), name: row.string("name"),
                        state: row.string("state"), priority: row.int("priority"), created: row.double("created"),
                        updated: row.double("updated"), stateChanged: row.double("state_changed"),
                        wfUUID: row.optionalString("wf_uuid"), submitdir: row.optionalString("submitdir"),
                        basedir: row.optionalString("basedir"), planCommand: row.optionalString("plan_command"),
                        reason: row.optionalString("reason"), diagnostic: row.optionalString("diagnostic"),
                        runCount: row.int("run_count"), trigger: row.optionalString("trigger_name"),
                        jobKind: row.optionalString("job_kind"), jobPID: row.optionalInt("job_pid")))
            }
            if let to = row.optionalString("h_to") {
                workflows[workflows.count - 1].history.append(
                    WorkflowTransition(
                        time: row.double("h_time"), from: row.optionalString("h_from"), to: to,
                        reason: row.optionalString("h_reason")))
            }
        }
        return workflows
    }

    /// The files a trigger handed to a workflow.
    func files(workflowID: Int64) async throws(UserDataFailure) -> [TriggerLedgerFile] {
        let rows = try await query(StoreReadQueries.workflowFiles, [.int(workflowID)])
        return (rows ?? []).map(Self.ledgerFile)
    }

    // MARK: - Triggers

    /// Every trigger (or those of one ensemble), by ensemble and creation; nil without a store.
    func triggers(ensemble: String? = nil) async throws(UserDataFailure) -> [EnsembleTrigger]? {
        let rows = try await query(
            StoreReadQueries.triggers(ofEnsemble: ensemble != nil), ensemble.map { [.text($0)] } ?? [])
        return rows?.map(Self.trigger)
    }

    /// One trigger; nil when there is none (or no store).
    func trigger(ensemble: String, name: String) async throws(UserDataFailure) -> EnsembleTrigger? {
        let rows = try await query(StoreReadQueries.trigger, [.text(ensemble), .text(name)])
        return rows?.first.map(Self.trigger)
    }

    /// Files recorded by a trigger whose workflow has not been handed to HTCondor yet: the workflow waits for
    /// planning (READY, which includes waiting for the move into `processed/`) or is being planned, or the
    /// move into `processed/` is not done. Oldest first, with the total count.
    func pendingFiles(triggerID: Int64) async throws(UserDataFailure) -> (files: [TriggerLedgerFile], total: Int) {
        let rows =
            try await query(StoreReadQueries.pendingFiles, [.int(triggerID), .int(Int64(Self.pendingLimit))]) ?? []
        return (rows.map(Self.ledgerFile), Int(rows.first?.int("total") ?? 0))
    }

    /// The latest submissions of a trigger (schedule fires and file batches), newest first, each with its files.
    func submissions(trigger: EnsembleTrigger) async throws(UserDataFailure) -> [TriggerFiring] {
        let rows =
            try await query(StoreReadQueries.submissions, [.int(trigger.id), .int(Int64(Self.submissionLimit))]) ?? []
        var firings: [TriggerFiring] = []
        for row in rows {
            let workflow = row.string("workflow_name")
            if firings.last?.workflow != workflow {
                firings.append(
                    TriggerFiring(
                        workflow: workflow, time: row.double("fire_time"), tick: row.double("tick"),
                        workflowState: row.optionalString("workflow_state")))
            }
            if row.optionalString("path") != nil {
                firings[firings.count - 1].files.append(Self.ledgerFile(row))
            }
        }
        return firings
    }

    /// The latest events of a trigger's history, latest first.
    func history(triggerID: Int64) async throws(UserDataFailure) -> [TriggerEvent] {
        let rows =
            try await query(StoreReadQueries.triggerHistory, [.int(triggerID), .int(Int64(Self.historyLimit))]) ?? []
        return rows.map { row in
            TriggerEvent(
                time: row.double("time"), event: row.string("event"), user: row.optionalString("user"),
                detail: row.optionalString("detail"), count: row.optionalInt("count") ?? 1)
        }
    }

    private static func trigger(_ row: Fields) -> EnsembleTrigger {
        let arguments = row.optionalString("workflow_args").flatMap {
            try? JSONDecoder().decode([String].self, from: Data($0.utf8))
        }
        return EnsembleTrigger(
            id: row.int("id"), ensemble: row.string("ensemble_name"), name: row.string("name"),
            type: row.string("type"), state: row.string("state"), reason: row.optionalString("reason"),
            created: row.double("created"), updated: row.double("updated"),
            workflowScript: row.string("workflow_script"), workflowArgs: arguments ?? [],
            definition: EnsembleFormat.definition(row.optionalString("definition")), basedir: row.string("basedir"),
            priority: row.int("priority"), nextFire: row.double("next_fire"), deadline: row.double("deadline"),
            fireCount: row.int("fire_count"), lastFire: row.double("last_fire"),
            scheduleAnchor: row.double("schedule_anchor"), ledgerID: row.optionalInt("ledger_id"),
            consecutiveFailures: row.int("consecutive_failures"), skippedTicks: row.int("skipped_ticks"),
            lastSkipTime: row.double("last_skip_time"), lastSkipReason: row.optionalString("last_skip_reason"),
            bufferedTick: row.double("buffered_tick"))
    }

    private static func ledgerFile(_ row: Fields) -> TriggerLedgerFile {
        TriggerLedgerFile(
            path: row.string("path"), size: row.optionalInt("size"), recorded: row.double("recorded"),
            movedTo: row.optionalString("moved_to"), moveDone: row.int("move_done") != 0,
            workflow: row.string("workflow_name"), workflowState: row.optionalString("workflow_state"))
    }

    // MARK: - Master database

    /// The master database's `wf_id` of each of these root workflow UUIDs that it holds (for the links to the
    /// monitoring pages); empty when the user has no master database.
    func monitoringIDs(uuids: [String]) async throws(UserDataFailure) -> [String: Int64] {
        let unique = Array(Set(uuids)).sorted()
        var found: [String: Int64] = [:]
        for start in stride(from: 0, to: unique.count, by: 500) {
            let chunk = unique[start..<min(start + 500, unique.count)]
            let marks = chunk.map { _ in "?" }.joined(separator: ",")
            let rows: SQLRows
            do {
                rows = try await scope.data.query(
                    scope.masterDatabase, "SELECT wf_id, wf_uuid FROM master_workflow WHERE wf_uuid IN (\(marks))",
                    chunk.map { .text($0) })
            } catch let failure where failure.kind == .notFound {
                return [:]
            }
            for record in rows.records {
                if let uuid = record["wf_uuid"]?.text, let id = record["wf_id"]?.int { found[uuid] = id }
            }
        }
        return found
    }
}

/// Typed access to one result row.
private struct Fields {
    let record: [String: SQLValue]

    init(_ record: [String: SQLValue]) { self.record = record }

    func string(_ column: String) -> String { record[column]?.text ?? "" }
    func optionalString(_ column: String) -> String? { record[column]?.text }
    func int(_ column: String) -> Int64 { record[column]?.int ?? 0 }
    func optionalInt(_ column: String) -> Int64? { record[column]?.int }
    func double(_ column: String) -> Double? { record[column]?.double }
}
