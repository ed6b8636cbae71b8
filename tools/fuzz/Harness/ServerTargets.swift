import EnsembleCore
import Foundation
import PegasusConfig
import PegasusService

@testable import EnsembleServer

/// service.py: parses or fails with a ConfigurationError; None, booleans and integers print back (`repr`) to
/// text that parses to the same value.
func fuzzServicePy(_ data: Data) {
    guard let values = try? PythonLiteralParser.parse(text(data), file: "service.py") else { return }
    for (key, value) in values {
        switch value {
        case .none, .bool, .int:
            let again = try? PythonLiteralParser.parse("\(key) = \(value)\n", file: "repr")
            check(again?[key] == value, "\(key) = \(value) does not parse back")
        default: continue
        }
    }
}

/// A directory that exists on every machine, for relative submit directories in planner output.
let planBase = NSTemporaryDirectory()

/// Planner output: any submit directory found exists (it is checked with stat) and is absolute.
func fuzzPlanOutput(_ data: Data) {
    guard let directory = PlanOutput.submitDirectory(output: text(data), basedir: planBase) else { return }
    check(directory.hasPrefix("/"), "relative submit directory \(directory.debugDescription)")
    check(PlanOutput.isDirectory(directory), "\(directory.debugDescription) is not a directory")
}

/// braindump.yml (Yams, libyaml underneath): a wf_uuid is returned only when it has 36 characters.
func fuzzBraindump(_ data: Data) {
    guard let uuid = try? PlanOutput.workflowUUID(braindump: text(data), submitDirectory: "/submit") else { return }
    check(uuid.count == 36, "wf_uuid \(uuid.debugDescription)")
}

/// The scope of the monitoring API's job routes (prefixes and columns as the real routes use them).
let queryScope = QueryScope([
    QueryResource(
        prefix: "j", sqlAlias: "j",
        columns: ["job_id", "exec_job_id", "type_desc", "clustered", "max_retries", "task_count", "submit_file"]),
    QueryResource(prefix: "w", sqlAlias: "w", columns: ["wf_id", "wf_uuid", "dax_label", "timestamp"]),
    QueryResource(prefix: "s", sqlAlias: "ws", columns: ["state", "timestamp", "status", "restart_count"]),
])

/// The monitoring query language, `query=` and `order=`, both on each input. `query=` compiles or fails with
/// INVALID_QUERY; every literal leaves as a bound argument, so the SQL has exactly one `?` per argument (the
/// columns and aliases in the SQL come from the scope, none holds `?`). `order=` compiles or fails with
/// INVALID_ORDER, and its SQL holds no `?` and no `;`.
func fuzzQuery(_ data: Data) {
    let input = text(data)
    if let fragment = try? QueryLanguage.compile(input, scope: queryScope) {
        let placeholders = fragment.sql.unicodeScalars.filter { $0 == "?" }.count
        check(
            placeholders == fragment.arguments.count,
            "\(input.debugDescription) → \(fragment.sql) with \(fragment.arguments.count) arguments")
    }
    if let sql = try? QueryLanguage.compileOrder(input, scope: queryScope) {
        check(!sql.contains("?") && !sql.contains(";"), "order \(input.debugDescription) → \(sql)")
    }
}

/// Request fields (the body decoder of every EM API route): first byte picks the content type (form, JSON or
/// none), the rest is the body; every field's accessors return a value or a 400 error.
func fuzzRequest(_ data: Data) {
    guard let first = data.first else { return }
    let types: [String?] = [nil, "application/x-www-form-urlencoded", "application/json; charset=utf-8"]
    let body = Data(data.dropFirst())
    guard let fields = try? RequestFields(body: body, contentType: types[Int(first) % types.count]) else { return }
    for key in fields.values.keys {
        check(fields.has(key) == (fields.values[key] != .null), "has(\(key.debugDescription))")
        _ = try? fields.string(key)
        _ = try? fields.bool(key)
        _ = try? fields.stringList(key, message: "bad list")
    }
}
