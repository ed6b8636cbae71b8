import Foundation
import Hummingbird

/// Builds the service's own URLs under the configured prefix (`PEGASUS_SERVICE_URL_PREFIX`), so that every link
/// works when the service is mounted below a path.
public struct ServiceLinks: Sendable, Equatable {
    /// The prefix: empty, or `/` followed by path segments, without a trailing slash.
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    /// Checks and normalises a prefix: `""`, `/` and `/pegasus/` become `""`, `""` and `/pegasus`.
    public static func normalize(_ raw: String?) throws(ServiceFailure) -> String {
        let trimmed = (raw ?? "").trimmingCharacters(in: .whitespaces)
        let segments = trimmed.split(separator: "/", omittingEmptySubsequences: true)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        for segment in segments {
            guard segment != "." && segment != "..",
                segment.unicodeScalars.allSatisfy({ allowed.contains($0) })
            else {
                throw ServiceFailure(
                    .internalServerError, code: "INVALID_CONFIGURATION",
                    "Invalid PEGASUS_SERVICE_URL_PREFIX '\(trimmed)': use path segments of letters, digits, - . _ ~")
            }
        }
        return segments.isEmpty ? "" : "/" + segments.joined(separator: "/")
    }

    /// An absolute path under the prefix: `path("/u/alice/")`.
    public func path(_ path: String) -> String { prefix + (path.hasPrefix("/") ? path : "/" + path) }

    /// Percent-encodes one path segment (user names, labels, file names).
    public static func segment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The user's dashboard home.
    public func user(_ user: String) -> String { path("/u/\(Self.segment(user))/") }
}
