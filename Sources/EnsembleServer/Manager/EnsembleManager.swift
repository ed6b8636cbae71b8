import EnsembleCore
import EnsembleStore
import Foundation
import PegasusConfig
import TriggerKit

/// What the scheduler offers to the API: a wake-up and the side effects of an abort.
public protocol WorkflowControl: Sendable {
    /// Something changed (a submit, an edit, a state change): run a pass soon.
    func wake()
    /// A workflow was aborted by the user; stop its planner or call `pegasus-remove`.
    /// - Parameter previous: the workflow as it was before the abort (its state says what is in flight).
    func aborted(_ previous: WorkflowRecord, ensemble: String) async
    /// The `analyze` report of a workflow: Pegasus' text (state, plan command, workflow log, pegasus-analyzer
    /// output, failure hint) plus the state history.
    func analyze(_ workflow: WorkflowRecord, ensemble: String) async throws -> String
}

/// What the trigger engine offers to the API.
public protocol TriggerControl: Sendable {
    /// Starts a newly stored trigger; it fires at once.
    func start(_ trigger: TriggerRecord, ensemble: String) async
    /// Stops a trigger; when this returns, it submits nothing more.
    func stop(triggerID: Int64) async
    /// Live details of a running trigger (watched roots, pending files), as JSON fields.
    func details(triggerID: Int64) async -> [String: JSONValue]
    /// One tick of a running trigger now: the workflows it submitted, and why not (more) when it says so.
    func fire(triggerID: Int64) async -> (workflows: [String], note: String?)
    /// A dry run of a running or paused trigger; nil when it does not run here.
    func preview(triggerID: Int64, count: Int) async -> TriggerPreview?
    /// The input files of a (new) file trigger that exist now, for `skip_existing`.
    func existingFiles(_ trigger: TriggerRecord) async throws -> [TriggerInput]
}

/// The EM's operations, shared by the REST API and the CLI-facing services: the store plus the scheduler and
/// trigger engine it notifies.
public final class EnsembleManager: Sendable {
    public let store: EMStore
    public let configuration: PegasusConfiguration
    public let workflows: any WorkflowControl
    public let triggers: any TriggerControl

    public init(
        store: EMStore, configuration: PegasusConfiguration, workflows: any WorkflowControl,
        triggers: any TriggerControl
    ) {
        self.store = store
        self.configuration = configuration
        self.workflows = workflows
        self.triggers = triggers
    }

    /// The log of a workflow: `~/.pegasus/ensembles/<ensemble>/<workflow>.log`.
    public func logPath(ensemble: String, workflow: String) -> String {
        "\(configuration.ensemblesDirectory)/\(ensemble)/\(workflow).log"
    }
}

/// A `WorkflowControl` that does nothing (a server without a scheduler, tests of the API alone).
public struct NoWorkflowControl: WorkflowControl {
    public init() {}
    public func wake() {}
    public func aborted(_ previous: WorkflowRecord, ensemble: String) async {}
    public func analyze(_ workflow: WorkflowRecord, ensemble: String) async throws -> String {
        "Workflow state is \(workflow.state.rawValue)\n"
    }
}

/// A `TriggerControl` that does nothing.
public struct NoTriggerControl: TriggerControl {
    public init() {}
    public func start(_ trigger: TriggerRecord, ensemble: String) async {}
    public func stop(triggerID: Int64) async {}
    public func details(triggerID: Int64) async -> [String: JSONValue] { [:] }
    public func fire(triggerID: Int64) async -> (workflows: [String], note: String?) { ([], "no trigger engine") }
    public func preview(triggerID: Int64, count: Int) async -> TriggerPreview? { nil }
    public func existingFiles(_ trigger: TriggerRecord) async throws -> [TriggerInput] { [] }
}
