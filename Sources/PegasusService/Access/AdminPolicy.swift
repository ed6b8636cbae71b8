import Foundation
import PegasusConfig

/// Who may read other users' data: `ADMIN_USERS` parsed as the documentation says, with exact name matches.
///
/// `None`, `False` and `''` mean nobody; `'*'` means everybody; a set, list or tuple of names lists the admins;
/// a plain string is one name or a comma-separated list of names. Pegasus tests `login in ADMIN_USERS`, which
/// on a plain string is a substring test (`'ali'` was an admin when the setting was `'alice'`); here it never is.
public enum AdminPolicy: Sendable, Equatable {
    case nobody
    case everybody
    case users(Set<String>)

    /// Parses the configuration value.
    /// - Throws: ``ConfigurationError`` for values the documentation does not define (True, numbers, dicts,
    ///   lists holding anything but strings).
    public init(_ value: ConfigValue?, source: String = "configuration") throws(ConfigurationError) {
        switch value {
        case nil, .none?, .bool(false)?:
            self = .nobody
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                self = .nobody
            } else if trimmed == "*" {
                self = .everybody
            } else {
                self = .users(Self.names(trimmed.split(separator: ",").map(String.init)))
            }
        case let container? where container.elements != nil:
            var names: [String] = []
            for element in container.elements ?? [] {
                guard case .string(let name) = element else {
                    throw ConfigurationError(
                        file: source, line: 0, key: "ADMIN_USERS",
                        reason: "expected user names (strings), got \(element)")
                }
                names.append(name)
            }
            self = .users(Self.names(names))
        case let other?:
            throw ConfigurationError(
                file: source, line: 0, key: "ADMIN_USERS",
                reason: "expected None, '*', a user name, a comma-separated string or a set/list of names, got \(other)"
            )
        }
    }

    private static func names(_ raw: [String]) -> Set<String> {
        Set(raw.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// Whether `user` may read other users' data.
    public func isAdmin(_ user: String) -> Bool {
        switch self {
        case .nobody: false
        case .everybody: true
        case .users(let names): names.contains(user)
        }
    }
}
