import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A local account, from the password database.
public struct UnixUser: Sendable, Equatable, Hashable {
    public let name: String
    public let uid: UInt32
    public let gid: UInt32
    public let home: String

    public init(name: String, uid: UInt32, gid: UInt32, home: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
    }

    /// Looks a user up by name (`getpwnam_r`); nil when there is no such user.
    public static func named(_ name: String) -> UnixUser? {
        guard !name.isEmpty, !name.contains("/"), !name.contains("\0") else { return nil }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, let found = result?.pointee else {
            return nil
        }
        return UnixUser(
            name: String(cString: found.pw_name), uid: found.pw_uid, gid: found.pw_gid,
            home: String(cString: found.pw_dir))
    }

    /// The user this process runs as.
    public static func current() -> UnixUser {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        if getpwuid_r(geteuid(), &entry, &buffer, buffer.count, &result) == 0, let found = result?.pointee {
            return UnixUser(
                name: String(cString: found.pw_name), uid: found.pw_uid, gid: found.pw_gid,
                home: String(cString: found.pw_dir))
        }
        return UnixUser(
            name: String(geteuid()), uid: geteuid(), gid: getegid(),
            home: ProcessInfo.processInfo.environment["HOME"] ?? "/")
    }

    public var isRoot: Bool { uid == 0 }

    /// `~/.pegasus` of this user.
    public var pegasusDirectory: String { home + "/.pegasus" }
}

/// Password database lookups remembered for a minute. `getpwnam` can block (LDAP, sssd) and runs on the request's
/// thread; with the cache a name costs one lookup a minute, not one per request.
public final class UserDirectory: Sendable {
    private let entries = Mutex<[String: (user: UnixUser?, until: Double)]>([:])
    public let lifetime: Double

    public init(lifetime: Double = 60) { self.lifetime = lifetime }

    /// ``UnixUser/named(_:)``, cached.
    public func named(_ name: String) -> UnixUser? {
        let now = Date().timeIntervalSince1970
        if let entry = entries.withLock({ $0[name] }), entry.until > now { return entry.user }
        let user = UnixUser.named(name)
        entries.withLock {
            if $0.count > 4096 { $0 = $0.filter { $0.value.until > now } }
            $0[name] = (user, now + lifetime)
        }
        return user
    }
}
