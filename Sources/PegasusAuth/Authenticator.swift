import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Checks a user name and password.
public protocol Authenticator: Sendable {
    /// Whether the password is right for the user. Implementations never block the concurrency pool.
    func authenticate(username: String, password: String) async -> Bool
}

/// The user name and password of an HTTP Basic `Authorization` header; nil when it is not one or the user is empty.
public func basicCredentials(_ header: String) -> (String, String)? {
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "basic",
        let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
        let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
    else { return nil }
    let user = String(text[..<colon])
    guard !user.isEmpty else { return nil }
    return (user, String(text[text.index(after: colon)...]))
}

/// Remembers recently verified Authorization headers for a minute, so a client's request stream does not pay
/// a PAM round trip (and its password hashing) per request. Only successes are cached.
public final class CredentialCache: Sendable {
    private let entries = Mutex<[String: Double]>([:])
    static let lifetime = 60.0

    public init() {}

    public func contains(_ header: String) -> Bool {
        let now = Date().timeIntervalSince1970
        return entries.withLock { ($0[header] ?? 0) > now }
    }

    public func insert(_ header: String) {
        let now = Date().timeIntervalSince1970
        entries.withLock {
            if $0.count > 256 { $0 = $0.filter { $0.value > now } }
            $0[header] = now + Self.lifetime
        }
    }
}

/// The name of the user this process runs as.
public func currentUserName() -> String {
    if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
    return String(geteuid())
}
