import EnsembleServer
import Foundation
import Hummingbird

/// The monitoring REST API, `/api/v1/user/<username>/...` (reference section 7.3).
public struct MonitoringAPI: Sendable {
    let access: AccessControl

    public init(access: AccessControl) { self.access = access }

    func addRoutes(to group: RouterGroup<ServiceRequestContext>) {
        group.get("root") { request, context in try await listRoots(request, context) }
        group.get("root/:m_wf_id") { request, context in try await showRoot(request, context) }
    }

    func scope(_ context: ServiceRequestContext) throws(ServiceFailure) -> UserScope {
        try access.scope(target: context.parameters.get("username") ?? "", context: context)
    }

    func listRoots(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let master = MasterWorkflows(scope: try scope(context))
        guard try await master.exists() else {
            return Self.json(["records": [], "_meta": ["records_total": 0, "records_filtered": 0]])
        }
        let rows = try await master.roots()
        let records = rows.records.map(Self.rootRecord)
        return Self.json([
            "records": .array(records),
            "_meta": ["records_total": .int(records.count), "records_filtered": .int(records.count)],
        ])
    }

    func showRoot(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let master = MasterWorkflows(scope: try scope(context))
        let id = context.parameters.get("m_wf_id") ?? ""
        guard try await master.exists(), let record = try await master.root(id) else {
            throw ServiceFailure.notFound("No root workflow \(id)")
        }
        return Self.json(Self.rootRecord(record))
    }

    static func rootRecord(_ row: [String: SQLValue]) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for (key, value) in row where !key.hasPrefix("ws_") {
            object[key] = key == "timestamp" ? .double(value.double) : json(value)
        }
        if row["ws_state"]?.isNull == false {
            object["workflow_state"] = [
                "wf_id": json(row["wf_id"] ?? .null), "state": json(row["ws_state"] ?? .null),
                "status": json(row["ws_status"] ?? .null), "reason": json(row["ws_reason"] ?? .null),
                "timestamp": .double(row["ws_timestamp"]?.double),
                "restart_count": json(row["ws_restart_count"] ?? .null),
            ]
        } else {
            object["workflow_state"] = .null
        }
        return .object(object)
    }

    static func json(_ value: SQLValue) -> JSONValue {
        switch value {
        case .null: .null
        case .int(let i): .int(Int(i))
        case .double(let d): .double(d)
        case .text(let s): .string(s)
        }
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.serialized)))
    }
}
