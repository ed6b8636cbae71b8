import Foundation
import Hummingbird

/// The ensemble manager pages of the dashboard (new in this implementation, docs/dashboard.md): a user's ensembles with
/// their throttles and workflow counts, an ensemble's workflows with their state histories and links to their
/// monitoring pages, a workflow's details, and the triggers with their schedules, pending files and submissions.
///
/// Everything is read from the target user's `~/.pegasus/em.db` through ``UserScope/data`` (read-only, as that
/// user with PROCESS_SWITCHING). Pages refresh themselves every 10 s while something is active.
public struct EnsemblePages: Sendable {
    let access: AccessControl
    let links: ServiceLinks

    public init(access: AccessControl, links: ServiceLinks) {
        self.access = access
        self.links = links
    }

    /// Registers the pages relative to the `/u/:username` group.
    func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        group.get("ensembles") { request, context in try await ensembleList(request, context) }
        group.get("ensembles/:ensemble") { request, context in try await ensemble(request, context) }
        group.get("ensembles/:ensemble/workflows/:workflow") { request, context in
            try await workflow(request, context)
        }
        group.get("triggers") { request, context in try await triggerList(request, context) }
        group.get("triggers/:ensemble/:trigger") { request, context in try await trigger(request, context) }
    }

    /// The target user's data, the store reader and the views.
    private func prepare(_ context: ServiceRequestContext) throws(ServiceFailure) -> (
        EnsembleStoreReader, EnsembleViews
    ) {
        let scope = try access.scope(target: context.parameters.get("username") ?? "", context: context)
        return (EnsembleStoreReader(scope: scope), EnsembleViews(user: scope.target.name, links: links))
    }

    /// A required path parameter, percent-decoded: the router leaves escapes as they are, and the name of an ended
    /// trigger that a new one replaced, `<name>@<id>`, is linked as `<name>%40<id>`. (Valid names never hold `%`.)
    private func parameter(_ name: String, _ context: ServiceRequestContext) throws(ServiceFailure) -> String {
        let raw = context.parameters.get(name)
        guard let value = raw.map({ $0.removingPercentEncoding ?? $0 }), !value.isEmpty else {
            throw ServiceFailure.badRequest("INVALID_REQUEST", "Missing \(name)")
        }
        return value
    }

    func ensembleList(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let (reader, views) = try prepare(context)
        guard let ensembles = try await reader.ensembles() else {
            return Layout.htmlResponse(views.noStore(title: "Ensembles of \(views.user)"))
        }
        return Layout.htmlResponse(views.ensembleList(ensembles))
    }

    func ensemble(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let (reader, views) = try prepare(context)
        let name = try parameter("ensemble", context)
        let state = request.uri.queryParameters.get("state").flatMap { $0.isEmpty ? nil : $0 }
        if let state, !EnsembleFormat.workflowStates.contains(state) {
            throw ServiceFailure.badRequest(
                "INVALID_REQUEST",
                "Unknown workflow state \(state): use one of \(EnsembleFormat.workflowStates.joined(separator: ", "))")
        }
        let offsetText = request.uri.queryParameters.get("offset") ?? "0"
        guard let offset = Int(offsetText), (0...100_000_000).contains(offset) else {
            throw ServiceFailure.badRequest(
                "INVALID_REQUEST", "offset must be an integer from 0 to 100000000: \(offsetText)")
        }
        guard let summary = try await reader.ensembles(named: name)?.first else {
            throw ServiceFailure.notFound("No such ensemble: \(name)")
        }
        let workflows = try await reader.workflows(ensemble: name, state: state, offset: offset)
        let monitoring = try await reader.monitoringIDs(uuids: workflows.compactMap(\.wfUUID))
        return Layout.htmlResponse(
            views.ensemble(summary, workflows: workflows, monitoring: monitoring, state: state, offset: offset))
    }

    func workflow(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let (reader, views) = try prepare(context)
        let ensemble = try parameter("ensemble", context)
        let name = try parameter("workflow", context)
        guard let workflow = try await reader.workflow(ensemble: ensemble, name: name) else {
            throw ServiceFailure.notFound("No such workflow \(name) in ensemble \(ensemble)")
        }
        let monitoring = try await reader.monitoringIDs(uuids: workflow.wfUUID.map { [$0] } ?? [])
        let files = workflow.trigger == nil ? [] : try await reader.files(workflowID: workflow.id)
        return Layout.htmlResponse(
            views.workflow(workflow, monitoringID: workflow.wfUUID.flatMap { monitoring[$0] }, files: files))
    }

    func triggerList(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let (reader, views) = try prepare(context)
        let ensemble = request.uri.queryParameters.get("ensemble").flatMap { $0.isEmpty ? nil : $0 }
        guard let triggers = try await reader.triggers(ensemble: ensemble) else {
            return Layout.htmlResponse(views.noStore(title: "Triggers of \(views.user)"))
        }
        return Layout.htmlResponse(
            TriggerViews(views: views).triggerList(triggers, ensemble: ensemble, now: Date().timeIntervalSince1970))
    }

    func trigger(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let (reader, views) = try prepare(context)
        let ensemble = try parameter("ensemble", context)
        let name = try parameter("trigger", context)
        guard let trigger = try await reader.trigger(ensemble: ensemble, name: name) else {
            throw ServiceFailure.notFound("No such trigger \(name) in ensemble \(ensemble)")
        }
        let pending =
            trigger.isFilePattern ? try await reader.pendingFiles(triggerID: trigger.id) : ([], 0)
        let submissions = try await reader.submissions(trigger: trigger)
        let history = try await reader.history(triggerID: trigger.id)
        return Layout.htmlResponse(
            TriggerViews(views: views).trigger(
                trigger, pending: pending, submissions: submissions, history: history,
                now: Date().timeIntervalSince1970))
    }
}
