import EnsembleCore
import Foundation
import Yams

/// Reads what a planner produced: the submit directory from its output and the `wf_uuid` from the braindump.
public enum PlanOutput {
    /// The submit directory named by the planner's output, or nil.
    ///
    /// Either the `submit_dir` of `pegasus-plan --json` output, or the last line that starts with `pegasus-run`,
    /// taking its last token that is an existing directory (so forwarded options such as `--grid` are skipped).
    /// Relative directories are resolved against `basedir`.
    public static func submitDirectory(output: String, basedir: String) -> String? {
        var candidate: String?
        for rawLine in output.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("pegasus-run"), line == "pegasus-run" || line.dropFirst(11).first?.isWhitespace == true {
                let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst()
                if let dir = tokens.reversed().map({ resolve(String($0), basedir) }).first(where: isDirectory) {
                    candidate = dir
                }
            }
        }
        if let json = jsonSubmitDirectory(output), isDirectory(resolve(json, basedir)) {
            // JSON output is explicit; prefer it when it names an existing directory and no later line does.
            return candidate ?? resolve(json, basedir)
        }
        return candidate
    }

    /// The last `"submit_dir": "..."` of JSON output.
    static func jsonSubmitDirectory(_ output: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: #""submit_dir"\s*:\s*"((?:[^"\\]|\\.)*)""#) else {
            return nil
        }
        let range = NSRange(output.startIndex..., in: output)
        guard let match = regex.matches(in: output, range: range).last,
            let r = Range(match.range(at: 1), in: output)
        else { return nil }
        let escaped = String(output[r])
        if let data = "\"\(escaped)\"".data(using: .utf8), let s = try? JSONDecoder().decode(String.self, from: data) {
            return s
        }
        return escaped
    }

    /// `path` against `basedir`, with `.`, `..` and repeated `/` removed lexically.
    ///
    /// Not `NSString.standardizingPath`: on Linux too it strips a leading `/var/automount` (a macOS automounter
    /// rule), so `pegasus-run /var/automount.` named the relative directory `.` (found by fuzzing).
    static func resolve(_ path: String, _ basedir: String) -> String {
        let full = path.hasPrefix("/") ? path : basedir + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return (full.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// The `wf_uuid` of `<submitdir>/braindump.yml`.
    public static func workflowUUID(submitDirectory: String) throws(EMError) -> String {
        let path = submitDirectory + "/braindump.yml"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw EMError(.invalid, "braindump.yml not found in \(submitDirectory)")
        }
        return try workflowUUID(braindump: text, submitDirectory: submitDirectory)
    }

    /// The `wf_uuid` of a braindump.yml's text; `submitDirectory` is only named in error messages.
    ///
    /// The document is only composed (parsed to nodes), not constructed to Swift values: Yams' constructor traps
    /// on a mapping key that is not a scalar (`? [a]: b`), anywhere in the document (found by fuzzing). Only the
    /// top-level `wf_uuid` scalar is read (the last one wins, as in a YAML mapping), and it must be a string.
    static func workflowUUID(braindump text: String, submitDirectory: String) throws(EMError) -> String {
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            throw EMError(.invalid, "braindump.yml in \(submitDirectory) is not valid YAML: \(error)")
        }
        guard let mapping = document?.mapping else {
            throw EMError(.invalid, "braindump.yml in \(submitDirectory) is not a YAML mapping")
        }
        let value = mapping.reversed().first { $0.key.scalar?.string == "wf_uuid" }?.value
        guard let value, value.tag.rawValue == Tag.Name.str.rawValue, let uuid = value.scalar?.string, !uuid.isEmpty
        else {
            throw EMError(.invalid, "wf_uuid not found in braindump.yml")
        }
        guard uuid.count == 36 else { throw EMError(.invalid, "Invalid wf_uuid in braindump.yml: \(uuid)") }
        return uuid
    }

    /// The text a job appended to the log since `offset` (at most the last `limit` bytes).
    public static func logTail(_ log: String, from offset: Int64, limit: Int = 4 << 20) -> String {
        guard let handle = FileHandle(forReadingAtPath: log) else { return "" }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        let start = max(UInt64(max(offset, 0)), end > UInt64(limit) ? end - UInt64(limit) : 0)
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
