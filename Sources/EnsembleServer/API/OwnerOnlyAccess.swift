import Foundation
import HTTPServing
import Hummingbird
import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Only the EM's owner (and root) drive it from this host, whatever `AUTHENTICATION` says.
///
/// With `NoAuthentication` any local user could otherwise create, submit, abort and delete in another user's EM
/// over loopback TCP (Pegasus has the same hole). When a connection opens, the EM looks up which user created the
/// client's socket, as identd does (``SocketOwners``: `/proc/net/tcp{,6}`), and serves the connection only when
/// that is its owner or root; every request of another user gets 403 except `/health` and `/openapi.json`, which
/// hold no user data (and `/metrics` behind the owner's password with `PAMAuthentication`, for a local scraper). A client on another host is not listed there and is left to `AUTHENTICATION`; a loopback
/// client that cannot be found is refused. The check runs once per connection, on a dedicated queue (it reads
/// `/proc`), before the connection's first request is read.
struct OwnerOnlyAccess: Sendable {
    /// The user the EM runs as.
    let owner: UInt32
    let ownerName: String
    /// Who created the client's socket (blocking; injectable for tests).
    let lookup: @Sendable (_ client: TCPEndpoint, _ server: TCPEndpoint) -> UInt32?
    let logger: Logger
    /// Routes a refused connection may still reach (they go through the router and its authentication).
    let openRoutes: Set<String>

    /// - Parameter passwordProtected: `AUTHENTICATION` asks for the owner's password: then `/metrics` stays reachable
    ///   for a scraper running as another user that logs in as the owner (docs/metrics.md).
    init(
        owner: UInt32 = getuid(), logger: Logger, passwordProtected: Bool = false,
        lookup: @escaping @Sendable (TCPEndpoint, TCPEndpoint) -> UInt32? = { c, s in
            SocketOwners.owner(ofClient: c, connectedTo: s)
        }
    ) {
        self.owner = owner
        self.ownerName = Self.userName(owner)
        self.lookup = lookup
        self.logger = logger
        self.openRoutes = AuthenticationMiddleware<BasicRequestContext>.open.union(
            passwordProtected ? ["/metrics"] : [])
    }

    /// Who opened a connection.
    enum Peer: Equatable {
        /// A client on another host: not listed in this host's socket tables.
        case remote
        /// A local user.
        case user(uid: UInt32, name: String)
        /// A loopback client whose socket could not be found (or no addresses at all).
        case unknown
    }

    /// What is done with a connection: served, or refused with a message.
    enum Verdict: Equatable {
        case serve
        case refuse(String)
    }

    /// The decision for a peer: the owner, root and remote clients are served, every other local user refused.
    static func verdict(for peer: Peer, owner: UInt32, ownerName: String) -> Verdict {
        let admitted = owner == 0 ? "only root may connect to it" : "only \(ownerName) and root may connect to it"
        switch peer {
        case .remote: return .serve
        case .user(let uid, _) where uid == owner || uid == 0: return .serve
        case .user(let uid, let name):
            return .refuse("User \(name) (uid \(uid)) may not use the ensemble manager of \(ownerName): \(admitted)")
        case .unknown:
            return .refuse(
                "Cannot tell which local user opened this connection, so the ensemble manager of \(ownerName) "
                    + "refuses it: \(admitted)")
        }
    }

    /// The ``ConnectionScreen`` for ``HTTP1ServerChannel``.
    func screen(remote: SocketAddress?, local: SocketAddress?) async -> ConnectionAnswer {
        let peer = await identify(remote: remote, local: local)
        switch Self.verdict(for: peer, owner: owner, ownerName: ownerName) {
        case .serve:
            return .serve
        case .refuse(let message):
            logger.notice(
                "refused a connection of another local user",
                metadata: ["peer": "\(remote.map { "\($0)" } ?? "none")", "reason": "\(message)"])
            let open = openRoutes
            return .refuse { request in
                open.contains(request.uri.path) ? nil : APIResponse.message(message, status: .forbidden)
            }
        }
    }

    /// Finds the peer's user on the lookup queue.
    func identify(remote: SocketAddress?, local: SocketAddress?) async -> Peer {
        guard let client = remote.flatMap(TCPEndpoint.init), let server = local.flatMap(TCPEndpoint.init) else {
            return .unknown
        }
        let lookup = self.lookup
        return await withCheckedContinuation { continuation in
            Self.queue.async {
                let peer: Peer =
                    if let uid = lookup(client, server) {
                        .user(uid: uid, name: Self.userName(uid))
                    } else {
                        client.isLoopback ? .unknown : .remote
                    }
                continuation.resume(returning: peer)
            }
        }
    }

    /// `/proc` reads and user-database look-ups block: they run here, never on the concurrency pool.
    private static let queue = DispatchQueue(label: "pegasus-em.socket-owners", attributes: .concurrent)

    /// The login name of a uid, or the number when it has none (blocking: NSS).
    static func userName(_ uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return String(uid) }
        return String(cString: name)
    }
}

extension TCPEndpoint {
    /// The endpoint of an IPv4 or IPv6 socket address; nil for Unix sockets.
    init?(_ address: SocketAddress) {
        guard let port = address.port, (0...65535).contains(port) else { return nil }
        switch address {
        case .v4(let v4):
            let bytes = withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
            self.init(ipv4: bytes, port: UInt16(port))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            self.init(ipv6: bytes, port: UInt16(port))
        case .unixDomainSocket:
            return nil
        }
    }
}
