import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP endpoint as the kernel lists it: the address as 16 bytes (IPv4 as `::ffff:a.b.c.d`, so that a dual-stack
/// socket and an IPv4 socket compare equal) and the port.
struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The 16 address bytes in network order.
    let address: [UInt8]
    let port: UInt16

    /// An IPv4 endpoint from its 4 address bytes.
    init(ipv4 bytes: [UInt8], port: UInt16) {
        precondition(bytes.count == 4)
        self.address = Array(repeating: 0, count: 10) + [0xff, 0xff] + bytes
        self.port = port
    }

    /// An IPv6 endpoint from its 16 address bytes (an IPv4-mapped address stays mapped: the same endpoint as IPv4).
    init(ipv6 bytes: [UInt8], port: UInt16) {
        precondition(bytes.count == 16)
        self.address = bytes
        self.port = port
    }

    /// The IPv4 address when the endpoint is IPv4 (or IPv4-mapped IPv6).
    var ipv4: [UInt8]? {
        address.prefix(12).elementsEqual(Array(repeating: 0, count: 10) + [0xff, 0xff]) ? Array(address.suffix(4)) : nil
    }

    /// 127.0.0.0/8, `::1` and `::ffff:127.x.y.z`.
    var isLoopback: Bool {
        if let ipv4 { return ipv4[0] == 127 }
        return address == Array(repeating: 0, count: 15) + [1]
    }

    /// Whether a host name or address is loopback: `localhost`, 127.0.0.0/8, `::1`, `::ffff:127.x.y.z`. Other names
    /// are not resolved (they are taken as reachable from elsewhere).
    static func isLoopback(host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return TCPEndpoint(ipv4: withUnsafeBytes(of: v4) { Array($0) }, port: 0).isLoopback
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return TCPEndpoint(ipv6: withUnsafeBytes(of: v6) { Array($0) }, port: 0).isLoopback
        }
        return false
    }

    var description: String {
        if let ipv4 { return ipv4.map(String.init).joined(separator: ".") + ":\(port)" }
        let groups = stride(from: 0, to: 16, by: 2).map {
            String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16)
        }
        return "[" + groups.joined(separator: ":") + "]:\(port)"
    }
}

/// Who owns a TCP socket of this host, read from `/proc/net/tcp` and `/proc/net/tcp6` the way identd does: the
/// client's socket is the row whose local endpoint is the client's and whose remote endpoint is the server's; its
/// `uid` column is the user that created it. Reading these files is blocking I/O: callers run it off the
/// concurrency pool.
enum SocketOwners {
    /// One row of `/proc/net/tcp{,6}`.
    struct Entry: Equatable {
        let local: TCPEndpoint
        let remote: TCPEndpoint
        let uid: UInt32
        /// The socket's inode; 0 for a socket no process holds any more (TIME_WAIT, or orphaned after `close`),
        /// whose `uid` column the kernel prints as 0 whoever created it.
        var inode: UInt64 = 1
    }

    /// Parses one row, e.g. `0: 0100007F:A2C4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000 0 ...`
    /// (`sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...`); nil for the header and
    /// malformed rows.
    ///
    /// An address is printed as the kernel's 32-bit words in host byte order (`%08X` each: one for IPv4, four for
    /// IPv6), so 127.0.0.1 reads `0100007F` on a little-endian host; the port is plain hexadecimal.
    static func parse(line: Substring) -> Entry? {
        let fields = line.split(separator: " ", maxSplits: 10, omittingEmptySubsequences: true)
        guard fields.count >= 10, fields[0].hasSuffix(":"),
            let local = endpoint(fields[1]), let remote = endpoint(fields[2]), let uid = UInt32(fields[7]),
            let inode = UInt64(fields[9])
        else { return nil }
        return Entry(local: local, remote: remote, uid: uid, inode: inode)
    }

    /// The owner of the socket connected from `client` to `server`, found in the text of `/proc/net/tcp{,6}`.
    static func owner(ofClient client: TCPEndpoint, connectedTo server: TCPEndpoint, in table: String) -> UInt32? {
        // Most rows are skipped by the client's port, which every candidate row holds right after its address.
        let port = ":" + hex(client.port)
        for line in table.split(separator: "\n") where line.contains(port) {
            // A row without an inode (TIME_WAIT, or a socket closed by its process) says uid 0 whoever made it: a
            // client that sends its request and closes at once must not pass for root, so it does not count.
            if let entry = parse(line: line), entry.local == client, entry.remote == server, entry.inode != 0 {
                return entry.uid
            }
        }
        return nil
    }

    /// The owner of the socket connected from `client` to `server` on this host, nil when no such socket is listed
    /// (the client is on another host, or gone). Blocking: reads `/proc/net/tcp` and `/proc/net/tcp6`.
    static func owner(ofClient client: TCPEndpoint, connectedTo server: TCPEndpoint, procNet: String = "/proc/net")
        -> UInt32?
    {
        // An IPv4 client may hold an IPv4 socket (tcp) or a dual-stack IPv6 one (tcp6); an IPv6 client only the latter.
        let files = client.ipv4 != nil ? ["tcp", "tcp6"] : ["tcp6"]
        for file in files {
            guard let table = readWhole(procNet + "/" + file) else { continue }
            if let uid = owner(ofClient: client, connectedTo: server, in: table) { return uid }
        }
        return nil
    }

    // MARK: - Parsing helpers

    private static func endpoint(_ field: Substring) -> TCPEndpoint? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16) else { return nil }
        let hexAddress = parts[0]
        guard hexAddress.count == 8 || hexAddress.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var index = hexAddress.startIndex
        while index < hexAddress.endIndex {
            let next = hexAddress.index(index, offsetBy: 8)
            guard let word = UInt32(hexAddress[index..<next], radix: 16) else { return nil }
            // The word was printed from memory in host order: its bytes in memory are the address bytes.
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
            index = next
        }
        return bytes.count == 4 ? TCPEndpoint(ipv4: bytes, port: port) : TCPEndpoint(ipv6: bytes, port: port)
    }

    private static func hex(_ port: UInt16) -> String {
        let digits = String(port, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// The whole of a `/proc` file (whose size `stat` reports as 0), nil when it cannot be read.
    private static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }
}
