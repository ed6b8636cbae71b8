import Foundation
import HTTPServing
import Hummingbird
import Logging
import NIOCore
import Testing

@testable import EnsembleServer

/// The owner check's parts: the `/proc/net/tcp{,6}` rows as the kernel prints them, the look-up of a real loopback
/// connection, which hosts count as loopback, and who is served.
struct SocketOwnersTests {
    // Rows in the kernel's format (`tcp4_seq_show`, `tcp6_seq_show`), as read on x86-64 (little-endian words).
    static let header =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    static let listening =
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5608447 1 00000000c9f9a298 100 0 0 10 0"
    static let client =
        "   1: 0100007F:A2C4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 7012345 1 0000000000000000 20 4 30 10 -1"
    static let server =
        "   2: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 7012346 1 0000000000000000 20 4 31 10 -1"
    static let ipv6Client =
        "   3: 00000000000000000000000001000000:C350 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 77 1 0000000000000000 20 4 30 10 -1"
    static let mappedClient =
        "   4: 0000000000000000FFFF00000100007F:C351 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1002        0 78 1 0000000000000000 20 4 30 10 -1"

    /// A client socket in TIME_WAIT (`get_timewait4_sock`): uid 0 and inode 0, whoever created it.
    static let timeWait =
        "   5: 0100007F:A2C5 0100007F:1F90 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000"

    static let loopback: [UInt8] = [127, 0, 0, 1]
    static let ipv6Loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]

    @Test func rowsParse() throws {
        #expect(SocketOwners.parse(line: Self.header[...]) == nil)
        #expect(SocketOwners.parse(line: "   9: zz:1F90 0100007F:A2C4 01 0:0 0:0 0 12") == nil)
        let row = try #require(SocketOwners.parse(line: Self.client[...]))
        #expect(row.local == TCPEndpoint(ipv4: Self.loopback, port: 0xA2C4))
        #expect(row.remote == TCPEndpoint(ipv4: Self.loopback, port: 8080))
        #expect(row.uid == 1000)
        #expect(row.local.description == "127.0.0.1:41668")
        let v6 = try #require(SocketOwners.parse(line: Self.ipv6Client[...]))
        #expect(v6.local == TCPEndpoint(ipv6: Self.ipv6Loopback, port: 50000))
        #expect(v6.local.isLoopback && v6.uid == 1001)
        #expect(v6.local.description == "[0:0:0:0:0:0:0:1]:50000")
        // A dual-stack socket's IPv4-mapped address is the same endpoint as the IPv4 one.
        let mapped = try #require(SocketOwners.parse(line: Self.mappedClient[...]))
        #expect(mapped.local == TCPEndpoint(ipv4: Self.loopback, port: 50001))
        #expect(mapped.uid == 1002)
    }

    @Test func theClientsRowIsFoundNotTheServersNorTheListener() {
        let table = [Self.header, Self.listening, Self.server, Self.client, Self.ipv6Client, Self.mappedClient]
            .joined(separator: "\n")
        let server = TCPEndpoint(ipv4: Self.loopback, port: 8080)
        #expect(
            SocketOwners.owner(
                ofClient: TCPEndpoint(ipv4: Self.loopback, port: 0xA2C4), connectedTo: server, in: table) == 1000)
        #expect(
            SocketOwners.owner(
                ofClient: TCPEndpoint(ipv6: Self.ipv6Loopback, port: 50000),
                connectedTo: TCPEndpoint(ipv6: Self.ipv6Loopback, port: 8080), in: table) == 1001)
        #expect(
            SocketOwners.owner(
                ofClient: TCPEndpoint(ipv4: Self.loopback, port: 50001), connectedTo: server, in: table) == 1002)
        // The server's own end (local 8080, remote 41668) is not the client's socket.
        #expect(
            SocketOwners.owner(
                ofClient: TCPEndpoint(ipv4: Self.loopback, port: 8080),
                connectedTo: TCPEndpoint(ipv4: Self.loopback, port: 0xA2C4), in: table) == 0)
        #expect(
            SocketOwners.owner(
                ofClient: TCPEndpoint(ipv4: [10, 0, 0, 7], port: 0xA2C4), connectedTo: server, in: table) == nil)
        // A closed client socket (TIME_WAIT: uid 0, inode 0) is not found, so it is never taken for root's.
        #expect(SocketOwners.parse(line: Self.timeWait[...])?.inode == 0)
        #expect(
            SocketOwners.owner(
                ofClient: TCPEndpoint(ipv4: Self.loopback, port: 0xA2C5), connectedTo: server,
                in: table + "\n" + Self.timeWait) == nil)
        #expect(
            SocketOwners.owner(
                ofClient: TCPEndpoint(ipv4: Self.loopback, port: 0xA2C4),
                connectedTo: TCPEndpoint(ipv4: Self.loopback, port: 9090), in: table) == nil)
    }

    @Test func aRealLoopbackConnectionIsOwnedByThisProcessUser() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(listener)
            close(client)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try #require(withSockaddr(&address) { bind(listener, $0, length) } == 0)
        try #require(listen(listener, 1) == 0)
        try #require(withSockaddr(&address) { getsockname(listener, $0, &length) } == 0)
        try #require(withSockaddr(&address) { connect(client, $0, length) } == 0)
        var local = sockaddr_in()
        try #require(withSockaddr(&local) { getsockname(client, $0, &length) } == 0)
        let clientEnd = TCPEndpoint(ipv4: Self.loopback, port: UInt16(bigEndian: local.sin_port))
        let serverEnd = TCPEndpoint(ipv4: Self.loopback, port: UInt16(bigEndian: address.sin_port))
        #expect(SocketOwners.owner(ofClient: clientEnd, connectedTo: serverEnd) == getuid())
        // The server's end, not accepted yet, has no inode (no process holds it): not found, never uid 0.
        #expect(SocketOwners.owner(ofClient: serverEnd, connectedTo: clientEnd) == nil, "not accepted yet")
        let accepted = accept(listener, nil, nil)
        try #require(accepted >= 0)
        defer { close(accepted) }
        #expect(SocketOwners.owner(ofClient: serverEnd, connectedTo: clientEnd) == getuid(), "the accepted end")
        let elsewhere = TCPEndpoint(ipv4: Self.loopback, port: serverEnd.port &+ 1)
        #expect(SocketOwners.owner(ofClient: clientEnd, connectedTo: elsewhere) == nil)
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("::1", true), ("::ffff:127.0.0.1", true),
        ("0.0.0.0", false), ("::", false), ("10.0.0.5", false), ("em.example.org", false), ("::ffff:10.0.0.1", false),
    ])
    func loopbackHosts(host: String, loopback: Bool) {
        #expect(TCPEndpoint.isLoopback(host: host) == loopback)
    }

    @Test func onlyTheOwnerRootAndRemoteClientsAreServed() {
        typealias Access = OwnerOnlyAccess
        #expect(Access.verdict(for: .user(uid: 1000, name: "alice"), owner: 1000, ownerName: "alice") == .serve)
        #expect(Access.verdict(for: .user(uid: 0, name: "root"), owner: 1000, ownerName: "alice") == .serve)
        #expect(Access.verdict(for: .remote, owner: 1000, ownerName: "alice") == .serve)
        #expect(
            Access.verdict(for: .user(uid: 1001, name: "eve"), owner: 1000, ownerName: "alice")
                == .refuse(
                    "User eve (uid 1001) may not use the ensemble manager of alice: only alice and root may connect to it"
                ))
        #expect(
            Access.verdict(for: .user(uid: 1001, name: "eve"), owner: 0, ownerName: "root")
                == .refuse("User eve (uid 1001) may not use the ensemble manager of root: only root may connect to it"))
        #expect(
            Access.verdict(for: .unknown, owner: 1000, ownerName: "alice")
                == .refuse(
                    "Cannot tell which local user opened this connection, so the ensemble manager of alice refuses it: only alice and root may connect to it"
                ))
    }

    @Test func aRefusedConnectionStillReachesTheOpenRoutes() async throws {
        func request(_ path: String) -> Request {
            Request(
                head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: path),
                body: RequestBody(buffer: ByteBuffer()))
        }
        let remote = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        let local = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        for passwordProtected in [false, true] {
            let access = OwnerOnlyAccess(
                owner: 1000, logger: .init(label: "test"), passwordProtected: passwordProtected
            ) {
                _, _ in 1001
            }
            guard case .refuse(let answer) = await access.screen(remote: remote, local: local) else {
                Issue.record("uid 1001 is served by the EM of uid 1000")
                continue
            }
            #expect(answer(request("/health")) == nil)
            #expect(answer(request("/openapi.json")) == nil)
            // Behind the owner's password a local scraper may log in as the owner; without one, metrics are refused.
            #expect((answer(request("/metrics")) == nil) == passwordProtected)
            let refused = try #require(answer(request("/ensembles")))
            #expect(refused.status == .forbidden)
        }
        let owner = OwnerOnlyAccess(owner: 1000, logger: .init(label: "test")) { _, _ in 1000 }
        guard case .serve = await owner.screen(remote: remote, local: local) else {
            Issue.record("the owner is refused")
            return
        }
    }

    @Test func aPeerIsIdentifiedOffThePoolAndAnUnlistedLoopbackPeerIsUnknown() async throws {
        let access = OwnerOnlyAccess(owner: 1000, logger: .init(label: "test")) { client, _ in
            client.port == 1 ? 0 : nil
        }
        let server = try SocketAddress(ipAddress: "127.0.0.1", port: 8080)
        #expect(
            await access.identify(remote: try SocketAddress(ipAddress: "127.0.0.1", port: 1), local: server)
                == .user(uid: 0, name: "root"))
        #expect(
            await access.identify(remote: try SocketAddress(ipAddress: "127.0.0.1", port: 2), local: server) == .unknown
        )
        #expect(
            await access.identify(remote: try SocketAddress(ipAddress: "10.1.2.3", port: 2), local: server) == .remote)
        #expect(await access.identify(remote: nil, local: server) == .unknown)
    }
}

private func withSockaddr<T>(_ address: inout sockaddr_in, _ body: (UnsafeMutablePointer<sockaddr>) -> T) -> T {
    withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
}
