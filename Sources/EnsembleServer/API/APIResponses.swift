import EnsembleCore
import EnsembleStore
import Foundation
import Hummingbird
import TriggerKit

/// Builds responses in Pegasus' wire format.
enum APIResponse {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, location: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }

    static func message(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        json(["message": .string(text)], status: status)
    }

    static func text(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Base URL of the request, from its Host header, for the absolute `href` fields Pegasus returns.
struct URLBase {
    let base: String

    init(_ request: Request, fallbackHost: String) {
        let host = request.head.authority ?? fallbackHost
        base = "http://" + host
    }

    func ensemble(_ e: String) -> String { base + "/ensembles/" + e }
    func workflows(_ e: String) -> String { ensemble(e) + "/workflows" }
    func workflow(_ e: String, _ w: String) -> String { workflows(e) + "/" + w }
}

/// JSON shapes of the resources: Pegasus 5.1's fields (times as epoch floats, absolute `href`s), plus our fields.
enum Resources {
    static func ensemble(_ e: EnsembleRecord, _ urls: URLBase) -> JSONValue {
        [
            "id": .int(Int(e.id ?? 0)), "name": .string(e.name), "created": .double(e.created),
            "updated": .double(e.updated), "state": .string(e.state.rawValue), "max_running": .int(e.maxRunning),
            "max_planning": .int(e.maxPlanning), "workflows": .string(urls.workflows(e.name)),
            "href": .string(urls.ensemble(e.name)),
        ]
    }

    static func workflowSummary(_ w: WorkflowRecord, ensemble: String, _ urls: URLBase) -> [String: JSONValue] {
        [
            "id": .int(Int(w.id ?? 0)), "name": .string(w.name), "created": .double(w.created),
            "updated": .double(w.updated), "state": .string(w.state.rawValue), "priority": .int(w.priority),
            "wf_uuid": .string(w.wfUUID), "href": .string(urls.workflow(ensemble, w.name)),
        ]
    }

    static func workflowDetail(
        _ w: WorkflowRecord, ensemble: String, log: String, history: [WorkflowHistoryRecord], _ urls: URLBase
    ) -> JSONValue {
        var o = workflowSummary(w, ensemble: ensemble, urls)
        o["basedir"] = .string(w.basedir)
        o["plan_command"] = .string(w.planCommand)
        o["plan_argv"] = .strings(w.planArgv)
        o["log"] = .string(log)
        o["submitdir"] = .string(w.submitdir)
        o["reason"] = .string(w.reason)
        o["diagnostic"] = .string(w.diagnostic)
        o["trigger_id"] = w.triggerID.map { .int(Int($0)) } ?? .null
        o["history"] = .array(
            history.map { h in
                [
                    "time": .double(h.time), "from": .string(h.fromState?.rawValue), "to": .string(h.toState.rawValue),
                    "reason": .string(h.reason),
                ]
            })
        return .object(o)
    }

    static func trigger(_ t: TriggerRecord) -> [String: JSONValue] {
        let d = t.definition
        var args: [String: JSONValue] = ["interval": .int(d.interval), "timeout": .int(d.timeout)]
        if let patterns = d.filePatterns { args["file_patterns"] = .strings(patterns) }
        if let cron = d.cron {
            args["cron"] = .string(cron)
            args["timezone"] = .string(d.timezone ?? "UTC")
        }
        if let catchup = d.catchup { args["catchup"] = .string(catchup) }
        // Our options appear only when they were given, so `triggers -l` looks as in Pegasus otherwise.
        if let settle = d.settle { args["settle"] = .double(settle) }
        if let marker = d.readyMarker { args["ready_marker"] = .string(marker) }
        if let maxFiles = d.maxFiles { args["max_files"] = .int(maxFiles) }
        if d.moveProcessed == true { args["move_processed"] = true }
        if let mode = d.watchMode { args["watch_mode"] = .string(mode) }
        return [
            "id": .int(Int(t.id ?? 0)), "ensemble_id": .int(Int(t.ensembleID)), "name": .string(t.name),
            "state": .string(t.state.rawValue), "type": .string(t.type.rawValue),
            "workflow": ["script": .string(t.workflowScript), "args": .strings(t.workflowArgs)],
            "args": .object(args), "reason": .string(t.reason), "created": .double(t.created),
            "updated": .double(t.updated), "next_fire": .double(t.nextFire), "deadline": .double(t.deadline),
            "fire_count": .int(t.fireCount), "last_fire": .double(t.lastFire), "priority": .int(t.priority),
            "basedir": .string(t.basedir),
            // Ours: the policies and what they did.
            "overlap": .string(d.overlap ?? "allow"), "pause_after_failures": .int(d.pauseAfterFailures),
            "consecutive_failures": .int(t.consecutiveFailures), "skipped_ticks": .int(t.skippedTicks),
            "last_skip": t.lastSkipTime.map { ["time": .double($0), "reason": .string(t.lastSkipReason)] } ?? .null,
            "buffered": .bool(t.bufferedTick != nil),
        ]
    }

    static func event(_ h: TriggerHistoryRecord) -> JSONValue {
        [
            "time": .double(h.time), "event": .string(h.event), "user": .string(h.user), "detail": .string(h.detail),
            "count": .int(h.count),
        ]
    }

    static func preview(_ p: TriggerPreview, trigger t: TriggerRecord) -> JSONValue {
        [
            "trigger": .string(t.name), "type": .string(t.type.rawValue), "state": .string(t.state.rawValue),
            "paused": .bool(p.paused),
            "fire_times": .array(p.fireTimes.map { .double($0.timeIntervalSince1970) }),
            "next_workflow": .strings(p.nextWorkflow), "later_workflows": .int(p.laterWorkflows),
            "pending": .array(p.pending.map { ["path": .string($0.path), "reason": .string($0.reason)] }),
        ]
    }
}
