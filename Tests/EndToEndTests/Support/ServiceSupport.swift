import AsyncHTTPClient
import EMTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// Helpers for end-to-end tests of the built `pegasus-service` binary: homes with a configuration, master
/// databases with workflows, HTTPS requests through curl with the service's certificate as the trust root.
enum ServiceSupport {
    /// An HTTP answer as curl saw it.
    struct Reply {
        var status: Int
        var body: String
        var headers: String

        func header(_ name: String) -> String? {
            for line in headers.split(separator: "\r\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    /// Sends a GET through curl, trusting only `cacert`. Credentials go through a curl config on stdin, never argv.
    static func get(_ url: String, cacert: String, user: String? = nil, password: String? = nil) async throws -> Reply {
        let scratch = try TemporaryDirectory(prefix: "pegasus-service-curl")
        defer { scratch.remove() }
        var config = ""
        if let user, let password { config = "user = \"\(user):\(password)\"\n" }
        let result = try await run(
            [
                "/usr/bin/curl", "-sS", "--max-time", "30", "--cacert", cacert, "-K", "-", "-D", scratch.file("h"),
                "-o", scratch.file("b"), "-w", "%{http_code}", url,
            ], stdin: config)
        guard result.status == 0 else {
            throw ServiceTestError(description: "curl \(url) failed (\(result.status)): \(result.stderr)")
        }
        return Reply(
            status: Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            body: (try? String(contentsOfFile: scratch.file("b"), encoding: .utf8)) ?? "",
            headers: (try? String(contentsOfFile: scratch.file("h"), encoding: .utf8)) ?? "")
    }

    /// Sends a GET through AsyncHTTPClient with certificate verification on and `cacert` as the only extra trust
    /// root; returns the status code.
    static func getWithAsyncHTTPClient(_ url: String, cacert: String) async throws -> Int {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.file(cacert)]
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            try await client.shutdown()
            return Int(response.status.code)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The environment for a service with `home` as HOME and no inherited Pegasus settings.
    static func environment(home: String, extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home
        for key in [
            "SERVER_HOST", "SERVER_PORT", "AUTHENTICATION", "PAM_SERVICE", "PEGASUS_ENV", "ADMIN_USERS",
            "PROCESS_SWITCHING", "PEGASUS_SERVICE_URL_PREFIX", "CERTIFICATE", "PRIVATE_KEY",
        ] {
            env.removeValue(forKey: key)
        }
        return env.merging(extra) { $1 }
    }

    /// Who runs an unprivileged service: the current user, or `nobody` (via setpriv) when the tests run as root,
    /// since the service never serves root's data. Gives `home` to that user.
    static func unprivileged(home: String) -> (user: String, launcher: [String]) {
        guard geteuid() == 0 else { return (String(cString: getpwuid(geteuid())!.pointee.pw_name), []) }
        if let walker = FileManager.default.enumerator(atPath: home) {
            for case let item as String in walker { chown(home + "/" + item, 65534, 65534) }
        }
        chown(home, 65534, 65534)
        let name = getpwuid(65534).map { String(cString: $0.pointee.pw_name) } ?? "nobody"
        return (name, ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
    }

    /// Starts `pegasus-service` with a home holding `service.py`, listening on a free port.
    static func start(
        home: String, settings: String, launcher: [String] = [], extra: [String: String] = [:]
    ) async throws -> LaunchedServer {
        let pegasus = home + "/.pegasus"
        try FileManager.default.createDirectory(atPath: pegasus, withIntermediateDirectories: true)
        try ("SERVER_PORT = 0\n" + settings).write(toFile: pegasus + "/service.py", atomically: true, encoding: .utf8)
        if !launcher.isEmpty { _ = unprivileged(home: home) }
        let server = LaunchedServer(
            argv: launcher + [Binaries.path("pegasus-service")], environment: environment(home: home, extra: extra),
            directory: home)
        try await server.start()
        return server
    }

    /// Creates a master database at `path` (the Pegasus simulator writes the exact pegasus-db-admin schema) with
    /// one root workflow per label.
    static func makeMasterDatabase(_ path: String, labels: [String], dbURL: String? = nil) async throws {
        let make = try await run([
            Binaries.repositoryRoot.appendingPathComponent("tools/pegasus-standins/make-master-db.sh").path, path,
        ])
        guard make.status == 0 else { throw ServiceTestError(description: "make-master-db: \(make.stderr)") }
        var sql = "BEGIN;"
        for label in labels {
            let url = dbURL ?? "sqlite:////nonexistent/\(label)-0.stampede.db"
            sql += """
                INSERT INTO master_workflow (wf_uuid, dax_label, submit_hostname, submit_dir, user, db_url, archived, timestamp)
                VALUES ('\(UUID().uuidString.lowercased())', '\(label)', 'host', '/submit/\(label)', 'u', '\(url)', 0, 1700000000);
                """
        }
        sql += "COMMIT;"
        let insert = try await run(["/usr/bin/sqlite3", path], stdin: sql)
        guard insert.status == 0 else { throw ServiceTestError(description: "sqlite3: \(insert.stderr)") }
    }

    /// The `dax_label`s of a monitoring `root` collection answer.
    static func labels(_ reply: Reply) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
            let records = object["records"] as? [[String: Any]]
        else { return [] }
        return records.compactMap { $0["dax_label"] as? String }.sorted()
    }

    /// The real uid of a process, from /proc.
    static func uid(of pid: Int32) -> UInt32? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Uid:") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            return fields.count > 1 ? UInt32(fields[1]) : nil
        }
        return nil
    }

    /// The pids of the children of `pid` (whichever thread started them), from /proc.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { candidate in
            guard let status = try? String(contentsOfFile: "/proc/\(candidate)/status", encoding: .utf8) else {
                return false
            }
            return status.split(separator: "\n").contains { $0 == "PPid:\t\(pid)" }
        }
    }
}

struct ServiceTestError: Error, CustomStringConvertible {
    let description: String
}
