import EnsembleCore
import EnsembleStore
import Foundation
import Hummingbird
import PegasusAuth
import TriggerKit

/// The trigger routes: Pegasus' (list, create, detail, stop) and the operator's verbs it lacks (pause, resume,
/// update, fire now, preview). Every change is committed in the store first, then the trigger engine follows, so
/// an answer means the change is durable.
extension EnsembleAPI {
    func addTriggerRoutes(to router: Router<BasicRequestContext>) {
        router.get("/ensembles/:e/triggers") { request, context in
            let e = try context.parameters.require("e")
            if Self.wantsPage(request) { return try await self.triggerPage(request, ensemble: e) }
            let list = try await self.manager.store.triggers(ensemble: e)
            return APIResponse.json(.array(try await self.triggerObjects(list)))
        }
        router.post("/ensembles/:e/triggers/:t") { request, context in
            let kind = try context.parameters.require("t")
            let type: TriggerType
            switch kind {
            case "cron": type = .cron
            case "file_pattern", "file-pattern": type = .filePattern
            default:
                throw EMError.notFound("No such trigger type: \(kind) (use cron or file_pattern)")
            }
            return try await self.createTrigger(request, context, type: type)
        }
        router.get("/ensembles/:e/triggers/:t") { _, context in
            let (_, t) = try await self.trigger(context)
            return try await self.triggerDetail(t)
        }
        router.delete("/ensembles/:e/triggers/:t") { _, context in
            let (e, t) = try await self.trigger(context)
            // STOPPED is committed first (a submission in flight sees it and submits nothing), then the actor is
            // stopped: when the answer leaves, the trigger submits nothing more.
            if t.state.isLive {
                try await self.manager.store.setTriggerState(
                    id: t.id!, .stopped, reason: "stopped by the user", event: "stopped", user: self.user)
            }
            await self.manager.triggers.stop(triggerID: t.id!)
            return APIResponse.message("ensemble: \(e), trigger: \(t.name) marked for deletion", status: .accepted)
        }
        router.put("/ensembles/:e/triggers/:t") { request, context in try await self.updateTrigger(request, context) }
        router.patch("/ensembles/:e/triggers/:t") { request, context in
            try await self.updateTrigger(request, context)
        }
        router.post("/ensembles/:e/triggers/:t/pause") { _, context in
            let (e, name) = (try context.parameters.require("e"), try context.parameters.require("t"))
            let (t, changed) = try await self.manager.store.pauseTrigger(ensemble: e, name: name, user: self.user)
            guard changed else { return APIResponse.message("ensemble: \(e), trigger: \(name) is already paused") }
            // Restarted paused: it keeps watching (for previews) and its deadline, and submits nothing.
            await self.manager.triggers.start(t, ensemble: e)
            return APIResponse.message("ensemble: \(e), trigger: \(name) paused")
        }
        router.post("/ensembles/:e/triggers/:t/resume") { _, context in
            let (e, name) = (try context.parameters.require("e"), try context.parameters.require("t"))
            let (t, changed) = try await self.manager.store.resumeTrigger(ensemble: e, name: name, user: self.user)
            guard changed else { return APIResponse.message("ensemble: \(e), trigger: \(name) is already running") }
            await self.manager.triggers.start(t, ensemble: e)
            return APIResponse.message("ensemble: \(e), trigger: \(name) resumed")
        }
        router.post("/ensembles/:e/triggers/:t/fire") { _, context in
            let (e, t) = try await self.trigger(context)
            guard t.state == .running else {
                throw EMError.conflict("Trigger \(t.name) is \(t.state.rawValue): only a RUNNING trigger can be fired")
            }
            let (workflows, note) = await self.manager.triggers.fire(triggerID: t.id!)
            let what =
                workflows.isEmpty
                ? "nothing to submit" + (note.map { " (\($0))" } ?? "")
                : "submitted \(workflows.count) workflow(s): " + workflows.joined(separator: ", ")
            try await self.manager.store.recordTriggerEvent(triggerID: t.id!, "fired", user: self.user, detail: what)
            let message = "ensemble: \(e), trigger: \(t.name)" + (workflows.isEmpty ? ": " : " ") + what
            return APIResponse.json(["message": .string(message), "workflows": .strings(workflows)])
        }
        router.get("/ensembles/:e/triggers/:t/preview") { request, context in
            let count = try Self.previewCount(request.uri.queryParameters.get("n"))
            let (_, t) = try await self.trigger(context)
            guard t.state.isLive else {
                throw EMError.conflict("Trigger \(t.name) is \(t.state.rawValue): nothing to preview")
            }
            guard let preview = await self.manager.triggers.preview(triggerID: t.id!, count: count) else {
                throw EMError.conflict("Trigger \(t.name) does not run in this server: \(t.reason ?? "see its log")")
            }
            return APIResponse.json(Resources.preview(preview, trigger: t))
        }
    }

    /// The triggers of a list as JSON objects.
    func triggerObjects(_ list: [TriggerRecord]) async throws -> [JSONValue] {
        var objects: [JSONValue] = []
        for t in list {
            var o = Resources.trigger(t)
            // Quiet ticks of file triggers are not stored: a running trigger knows its next fire.
            if t.state == .running, let next = await manager.triggers.details(triggerID: t.id!)["next_fire"] {
                o["next_fire"] = next
            }
            objects.append(.object(o))
        }
        return objects
    }

    /// The trigger named by the route, with its ensemble's name.
    func trigger(_ context: BasicRequestContext) async throws -> (String, TriggerRecord) {
        let e = try context.parameters.require("e")
        let (_, t) = try await manager.store.trigger(ensemble: e, name: try context.parameters.require("t"))
        return (e, t)
    }

    /// Who does what is done: the EM serves only its owner (authenticated as such when authentication is on).
    var user: String { currentUserName() }

    /// `n` of a preview: 1...100, 5 when absent.
    static func previewCount(_ text: String?) throws -> Int {
        guard let text else { return 5 }
        guard let n = Int(text), (1...100).contains(n) else {
            throw EMError.invalid("n must be an integer from 1 to 100: \(text)")
        }
        return n
    }

    func triggerDetail(_ t: TriggerRecord) async throws -> Response {
        var o = Resources.trigger(t)
        for (k, v) in await manager.triggers.details(triggerID: t.id!) { o[k] = v }
        let submissions = try await manager.store.triggerSubmissions(triggerID: t.id!, limit: 10)
        o["submissions"] = .array(
            submissions.map { s in
                ["workflow": .string(s.workflow), "time": .double(s.time), "files": .strings(s.files)]
            })
        o["history"] = .array(try await manager.store.triggerHistory(triggerID: t.id!, limit: 20).map(Resources.event))
        return APIResponse.json(.object(o))
    }

    func createTrigger(_ request: Request, _ context: BasicRequestContext, type: TriggerType) async throws -> Response {
        let ensemble = try context.parameters.require("e")
        let f = try await Self.fields(request)
        _ = try await manager.store.ensemble(named: ensemble)
        let record = try TriggerRequest.parse(f, type: type, now: EMStore.now())
        // A name in use is refused before the files are scanned for skip_existing (the store checks it again).
        if let (_, same) = try? await manager.store.trigger(ensemble: ensemble, name: record.name), same.state.isLive {
            throw EMError.conflict("Trigger \(record.name) already exists in ensemble \(ensemble)")
        }
        let skipExisting = try f.bool("skip_existing") == true && type == .filePattern
        let resubmitAll = try f.bool("resubmit_all") == true && type == .filePattern
        let existing = skipExisting ? try await manager.triggers.existingFiles(record) : []
        let stored = try await manager.store.createTrigger(
            ensemble: ensemble, record, inheritLedger: !resubmitAll, ignoring: existing, user: user)
        await manager.triggers.start(stored, ensemble: ensemble)
        return APIResponse.json(
            ["message": "created"], status: .created, location: "/ensembles/\(ensemble)/triggers/\(stored.name)")
    }

    func updateTrigger(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let (e, current) = try await trigger(context)
        let f = try await Self.fields(request)
        let edit = try TriggerEdit(f, for: current)
        let (t, changes) = try await manager.store.updateTrigger(ensemble: e, name: current.name, user: user) {
            t, now in try edit.apply(to: &t, now: now)
        }
        // The trigger goes on with its new definition (paused or running, as it was); the ledger is the store's.
        if !changes.isEmpty { await manager.triggers.start(t, ensemble: e) }
        let message =
            changes.isEmpty
            ? "ensemble: \(e), trigger: \(t.name) unchanged"
            : "ensemble: \(e), trigger: \(t.name) updated: " + changes.joined(separator: "; ")
        return APIResponse.json(["message": .string(message), "changes": .strings(changes)])
    }
}
