import Foundation
import Hummingbird

/// The query-string parameters of a dashboard request, decoded the way browsers encode GET forms
/// (`application/x-www-form-urlencoded`: `+` is a space, `%XX` are bytes of UTF-8).
struct DashboardParameters: Sendable {
    private var values: [String: String] = [:]

    /// Decodes `query` (without the `?`); a malformed escape is a 400.
    init(query: String?) throws(ServiceFailure) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decode(parts[0])
            let value = parts.count > 1 ? try Self.decode(parts[1]) : ""
            // The first occurrence wins, as in Flask's request.args.get.
            if values[key] == nil { values[key] = value }
        }
    }

    /// The parameters of a request.
    init(_ request: Request) throws(ServiceFailure) {
        try self.init(query: request.uri.query)
    }

    private static func decode(_ text: Substring) throws(ServiceFailure) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        guard let decoded = spaced.removingPercentEncoding else {
            throw ServiceFailure.badRequest("INVALID_QUERY_ARGUMENT", "Malformed query string")
        }
        return decoded
    }

    /// A parameter's value; nil when absent.
    subscript(_ name: String) -> String? { values[name] }

    /// A text parameter, nil when absent or empty after trimming.
    func text(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// An integer parameter in `range`; absent or empty gives `fallback`, anything else is a 400.
    func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(ServiceFailure) -> Int {
        guard let raw = text(name) else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw ServiceFailure.badRequest(
                "INVALID_QUERY_ARGUMENT",
                "Invalid \(name) '\(raw)': expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// One of the cases of `T`; absent or empty gives `fallback`, an unknown value is a 400.
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws(ServiceFailure) -> T
    where T.RawValue == String {
        guard let raw = text(name) else { return fallback }
        guard let value = T(rawValue: raw.lowercased()) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ServiceFailure.badRequest("INVALID_QUERY_ARGUMENT", "Invalid \(name) '\(raw)': use one of \(allowed)")
        }
        return value
    }
}

/// Builds query strings whose values are percent-encoded (only unreserved ASCII and `/` stay as they are).
enum QueryString {
    private static let allowed: CharacterSet = {
        var set = CharacterSet()
        set.insert(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
        return set
    }()

    /// Percent-encodes one value.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `?a=1&b=x` from the items whose value is not nil; empty when none is left.
    static func make(_ items: [(String, String?)]) -> String {
        let parts = items.compactMap { key, value in value.map { "\(encode(key))=\(encode($0))" } }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}

/// Page number and size of a paged table (`page` from 1, `size` 1...500, default 50).
struct Paging: Sendable, Equatable {
    static let defaultSize = 50
    static let maximumSize = 500

    let page: Int
    let size: Int

    var offset: Int { (page - 1) * size }

    init(page: Int = 1, size: Int = Self.defaultSize) {
        self.page = page
        self.size = size
    }

    /// Reads `page` and `size` (or the given names); bad values are a 400.
    init(_ parameters: DashboardParameters, page pageName: String = "page", size sizeName: String = "size")
        throws(ServiceFailure)
    {
        page = try parameters.integer(pageName, default: 1, in: 1...1_000_000_000)
        size = try parameters.integer(sizeName, default: Self.defaultSize, in: 1...Self.maximumSize)
    }

    /// The number of pages for `total` rows (at least 1).
    func pageCount(total: Int) -> Int { max(1, (total + size - 1) / size) }

    /// "Rows a-b of n" and links to the first, previous, next and last pages.
    func pager(total: Int, url: (Int) -> String) -> HTML {
        let pages = pageCount(total: total)
        let first = total == 0 ? 0 : min(total, offset + 1)
        let last = min(total, offset + size)
        var links: [HTML] = []
        if page > 1 {
            links.append("<a href=\"\(url(1))\">First</a>")
            links.append("<a href=\"\(url(min(page - 1, pages)))\" rel=\"prev\">Previous</a>")
        }
        if page < pages {
            links.append("<a href=\"\(url(page + 1))\" rel=\"next\">Next</a>")
            links.append("<a href=\"\(url(pages))\">Last</a>")
        }
        return """
            <div class="pager"><span>Rows \(first)-\(last) of \(total) (page \(page) of \(pages))</span>\(links)</div>
            """
    }
}

/// Formatting shared by the dashboard pages.
enum DashboardFormat {
    /// A duration the way Pegasus' `time_to_str` filter writes it: the two largest units, e.g. "2 hours 5 mins".
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, var time = seconds.boundedInt else { return "-" }
        if time < 0 { return "\(time) secs" }
        var parts: [String] = []
        func unit(_ value: Int, _ singular: String, _ plural: String) -> String {
            "\(value) " + (value > 1 ? plural : singular)
        }
        if time >= 86_400 {
            parts.append(unit(time / 86_400, "day", "days"))
            time %= 86_400
        }
        if time >= 3_600 {
            parts.append(unit(time / 3_600, "hour", "hours"))
            time %= 3_600
        }
        if time >= 60 && parts.count < 2 {
            parts.append(unit(time / 60, "min", "mins"))
            time %= 60
        }
        if time > 0 && parts.count < 2 { parts.append(unit(time, "sec", "secs")) }
        return parts.isEmpty ? "0 secs" : parts.joined(separator: " ")
    }

    /// An epoch timestamp as local date and time; "-" for none.
    static func date(_ epoch: Double?) -> String {
        guard let epoch, epoch.isFinite else { return "-" }
        return WorkflowClock.format(epoch)
    }

    /// Decodes text stored by pegasus-monitord with `Pegasus.tools.utils.quote` (`%XX` bytes) exactly once,
    /// and shows control characters other than tab and newline as visible symbols.
    static func unquote(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count, let high = hex(utf8[index + 1]),
                let low = hex(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return visible(String(decoding: bytes, as: UTF8.self))
    }

    /// Replaces C0 control characters (but tab, newline, carriage return) and DEL by their Unicode pictures.
    static func visible(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: out.append(scalar)
            case 0x00..<0x20: out.append(Unicode.Scalar(0x2400 + scalar.value) ?? "?")
            case 0x7F: out.append("\u{2421}")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A byte count in B, KiB, MiB or GiB.
    static func size(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f", value) + " " + units[unit]
    }
}

/// The URLs of one root workflow's pages, under the service's prefix.
struct WorkflowPaths: Sendable {
    let links: ServiceLinks
    let user: String
    /// The root workflow's master wf_id.
    let root: Int64

    /// The user's workflow list.
    var home: String { links.user(user) }

    /// `/u/<user>/r/<root>/w/<wf>` and the given query.
    func workflow(_ wf: Int64, _ query: [(String, String?)] = []) -> String {
        links.path("/u/\(ServiceLinks.segment(user))/r/\(root)/w/\(wf)") + QueryString.make(query)
    }

    /// A page below a workflow (`statistics`, `charts`, `browser` ...).
    func below(_ wf: Int64, _ rest: String, _ query: [(String, String?)] = []) -> String {
        links.path("/u/\(ServiceLinks.segment(user))/r/\(root)/w/\(wf)/\(rest)") + QueryString.make(query)
    }

    /// A job instance's details page.
    func job(_ wf: Int64, job: Int64, instance: Int64) -> String {
        below(wf, "j/\(job)/ji/\(instance)")
    }

    /// A job instance's stdout or stderr page.
    func output(_ wf: Int64, job: Int64, instance: Int64, _ stream: JobOutput) -> String {
        below(wf, "j/\(job)/ji/\(instance)/\(stream.rawValue)")
    }

    /// An invocation's page.
    func invocation(_ wf: Int64, job: Int64, instance: Int64, invocation: Int64) -> String {
        below(wf, "j/\(job)/ji/\(instance)/i/\(invocation)")
    }

    /// The file browser at a path relative to the workflow's submit directory.
    func browser(_ wf: Int64, path: String? = nil) -> String {
        below(wf, "browser", [("path", path.flatMap { $0.isEmpty ? nil : $0 })])
    }

    /// A raw file of the submit directory.
    func file(_ wf: Int64, path: String) -> String { below(wf, "file", [("path", path)]) }
}

/// A page answered instead of the requested one (a missing database or record), with its real status code.
struct DashboardPageFailure: Error {
    let status: HTTPResponse.Status
    let title: String
    let content: HTML

    /// The response, framed by the layout.
    func response(user: String?, links: ServiceLinks) -> Response {
        Layout.htmlResponse(Layout.page(title: title, user: user, links: links, content: content), status: status)
    }
}

extension Array where Element == HTML {
    /// The fragments with `separator` between them.
    func joinedHTML(separator: HTML) -> HTML {
        var out: HTML = ""
        for (index, item) in enumerated() {
            if index > 0 { out.append(separator) }
            out.append(item)
        }
        return out
    }
}
