import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A release `pegasus-em server` as a child process with its own HOME (its `~/.pegasus/service.py` and store).
final class ServerProcess {
    let binary: String
    let home: String
    let port: Int
    private var process: Process?

    init(binary: String, home: String, port: Int) {
        self.binary = binary
        self.home = home
        self.port = port
    }

    /// Writes the service.py: only what a benchmark must set (no PAM, root allowed, the port); every other key,
    /// RECONCILE_INTERVAL and TRIGGER_LEDGER_RETENTION among them, keeps its default.
    func writeConfiguration() throws {
        try FileManager.default.createDirectory(atPath: home + "/.pegasus", withIntermediateDirectories: true)
        let settings = "AUTHENTICATION = 'NoAuthentication'\nEM_ALLOW_ROOT = True\nEM_PORT = \(port)\n"
        try settings.write(toFile: home + "/.pegasus/service.py", atomically: true, encoding: .utf8)
    }

    /// Spawns the server (it is not waited for).
    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["server"]
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home
        p.environment = environment
        let log = home + "/server.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        process = p
    }

    /// SIGTERM, and waits for the exit.
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// The server's resident set size in bytes (`VmRSS`).
    func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return 0 }
        return kib * 1024
    }

    /// GET `path` on the server: the status and the JSON body, or nil when it does not answer.
    func get(_ path: String) -> (status: Int, json: [String: Any]?)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let head = text.range(of: "\r\n\r\n"),
            let status = Int(text.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        let body = Data(text[head.upperBound...].utf8)
        return (status, (try? JSONSerialization.jsonObject(with: body)) as? [String: Any])
    }

    /// A free TCP port on the loopback interface.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, length)
                return getsockname(fd, $0, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
