import EMTestSupport
import EnsembleServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Pegasus' wire format (measured on Pegasus 5.1.3): sorted keys, float times, `wf_uuid: null`, absolute
/// `href`/`workflows` from the Host header, Location headers, detail-only fields; plus 404/405 for routes.
@Suite(.timeLimit(.minutes(1)))
struct WireFormatTests {
    /// The keys of a flat JSON object in the order they appear in the text.
    static func keyOrder(_ text: String) -> [String] {
        let regex = #/"([a-z_]+)": /#
        return text.matches(of: regex).map { String($0.output.1) }
    }

    @Test func ensembleResource() async throws {
        try await APIHarness.with { _, api in
            let create = try await api.form(
                .post, "/ensembles", [("name", "myruns"), ("max_planning", "2"), ("max_running", "3")])
            #expect(create.headers[.location] == "http://localhost/ensembles/myruns", "absolute, as Pegasus answers")
            let reply = try await api.get("/ensembles/myruns")
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/json")
            let keys = Self.keyOrder(reply.body)
            #expect(
                keys == [
                    "created", "href", "id", "max_planning", "max_running", "name", "state", "updated", "workflows",
                ])
            let o = reply.object
            #expect(o["href"] as? String == "http://localhost/ensembles/myruns")
            #expect(o["workflows"] as? String == "http://localhost/ensembles/myruns/workflows")
            #expect(o["id"] as? Int == 1)
            // Times are float seconds since the epoch, written as floats.
            let created = try #require(o["created"] as? Double)
            #expect(abs(created - Date().timeIntervalSince1970) < 60)
            #expect(reply.body.contains(/"created": \d+\.\d+/))
            #expect(reply.body.contains(/"updated": \d+\.\d+/))
            // The list holds the same objects.
            let list = try await api.get("/ensembles")
            #expect(list.body == "[" + reply.body + "]")
        }
    }

    @Test func workflowSummaryAndDetail() async throws {
        try await APIHarness.with { harness, api in
            try await api.createEnsemble("e")
            try await api.submit("e", "w", basedir: harness.basedir, priority: "3")
            let list = try await api.get("/ensembles/e/workflows")
            #expect(list.status == 200)
            let summary = String(list.body.dropFirst().dropLast())
            #expect(
                Self.keyOrder(summary) == ["created", "href", "id", "name", "priority", "state", "updated", "wf_uuid"])
            #expect(summary.contains("\"wf_uuid\": null"), "present as null: the Pegasus client indexes it")
            #expect(list.array.first?["href"] as? String == "http://localhost/ensembles/e/workflows/w")
            #expect(summary.contains(/"created": \d+\.\d+/))

            let detail = try await api.get("/ensembles/e/workflows/w")
            let o = detail.object
            for key in ["basedir", "plan_command", "log", "submitdir"] {
                #expect(o.keys.contains(key), "detail has \(key)")
                #expect(list.array.first?.keys.contains(key) == false, "summary lacks \(key)")
            }
            #expect(o["basedir"] as? String == harness.basedir)
            #expect(o["plan_command"] as? String == "\"/bin/true\" \"x\"")
            #expect(o["log"] as? String == harness.home + "/.pegasus/ensembles/e/w.log")
            #expect(o["submitdir"] is NSNull)
            #expect(o["wf_uuid"] is NSNull)
            #expect(o["priority"] as? Int == 3)
            let history = try #require(o["history"] as? [[String: Any]])
            #expect(history.count == 1)
            #expect(history.first?["to"] as? String == "READY")
            #expect(history.first?["from"] is NSNull)
            #expect(history.first?["reason"] as? String == "submitted")
            // Keys of the detail are sorted too, at the top level and inside the history entries.
            let withoutHistory = detail.body.replacing(#/"history": \[[^\]]*\], /#, with: "")
            let topLevel = Self.keyOrder(withoutHistory)
            #expect(topLevel == o.keys.filter { $0 != "history" }.sorted())
            let entry = try #require(detail.body.firstMatch(of: #/"history": \[(\{[^\]]*\})\]/#)?.output.1)
            #expect(Self.keyOrder(String(entry)) == ["from", "reason", "time", "to"])
        }
    }

    @Test func errorsAreJSONMessages() async throws {
        try await APIHarness.with { _, api in
            let reply = try await api.get("/ensembles/none")
            #expect(reply.headers[.contentType] == "application/json")
            #expect(reply.body == "{\"message\": \"No such ensemble: none\"}")
        }
    }

    @Test(
        "unknown routes are 404, wrong methods 405 with Allow",
        arguments: [
            ("GET", "/nothing", 404, "No such resource: /nothing", nil),
            (
                "GET", "/ensembles/e/workflows/w/analyze/more", 404,
                "No such resource: /ensembles/e/workflows/w/analyze/more", nil
            ),
            ("GET", "/api/v1/ensembles", 404, "No such resource: /api/v1/ensembles", nil),
            ("DELETE", "/ensembles", 405, "Method DELETE not allowed on /ensembles: use GET, POST", "GET, POST"),
            (
                "PATCH", "/ensembles/e", 405, "Method PATCH not allowed on /ensembles/e: use GET, PUT, POST, DELETE",
                "GET, PUT, POST, DELETE"
            ),
            (
                "PUT", "/ensembles/e/workflows", 405, "Method PUT not allowed on /ensembles/e/workflows: use GET, POST",
                "GET, POST"
            ),
            (
                "POST", "/ensembles/e/workflows/w/analyze", 405,
                "Method POST not allowed on /ensembles/e/workflows/w/analyze: use GET", "GET"
            ),
            ("POST", "/ensembles/e/triggers", 405, "Method POST not allowed on /ensembles/e/triggers: use GET", "GET"),
            ("POST", "/health", 405, "Method POST not allowed on /health: use GET", "GET"),
        ] as [(String, String, Int, String, String?)])
    func routing(method: String, uri: String, status: Int, message: String, allow: String?) async throws {
        try await APIHarness.with { _, api in
            let reply = try await api.send(.init(method)!, uri)
            #expect(reply.status == status)
            #expect(reply.message == message)
            #expect(reply.headers[.allow] == allow)
        }
    }

    @Test func healthShowsStoreAndServices() async throws {
        try await APIHarness.with { harness, api in
            let empty = try await api.get("/health")
            #expect(empty.status == 200)
            #expect(empty.body == "{\"services\": {}, \"status\": \"ok\", \"store\": \"ok\"}")
            harness.health.register("scheduler")
            harness.health.cycle("triggers", error: "boom")
            let reply = try await api.get("/health")
            let services = try #require(reply.object["services"] as? [String: [String: Any]])
            #expect(services["scheduler"]?["cycles"] as? Int == 0)
            #expect(services["scheduler"]?["last_cycle"] is NSNull)
            #expect(services["triggers"]?["cycles"] as? Int == 1)
            #expect(services["triggers"]?["last_error"] as? String == "boom")
            #expect(services["triggers"]?["last_cycle"] is Double)
        }
    }

    // MARK: - Live: Host header and HTTP/1.0

    @Test func hrefAndLocationFollowTheHostHeader() async throws {
        try await APIHarness.with(live: true) { harness, api in
            let port = try #require(api.client.port)
            let base = "http://127.0.0.1:\(port)"
            let created = try await TestHTTP.send(
                "POST", base + "/ensembles", form: ["name": "e"], headers: ["Host": "em.example.org:8123"])
            #expect(created.status == 201)
            #expect(created.header("location") == "http://em.example.org:8123/ensembles/e")
            let e = try await TestHTTP.send("GET", base + "/ensembles/e", headers: ["Host": "10.0.0.1:7919"])
            #expect(e.json?["href"] as? String == "http://10.0.0.1:7919/ensembles/e")
            #expect(e.json?["workflows"] as? String == "http://10.0.0.1:7919/ensembles/e/workflows")
            let plain = try await TestHTTP.send("GET", base + "/ensembles/e")
            #expect(plain.json?["href"] as? String == "\(base)/ensembles/e")

            let submitted = try await TestHTTP.send(
                "POST", base + "/ensembles/e/workflows",
                form: ["name": "w", "basedir": harness.basedir, "plan_command": "/bin/true"],
                headers: ["Host": "em.example.org"])
            #expect(submitted.status == 201)
            #expect(submitted.header("location") == "/ensembles/e/workflows/w")
            let list = try await TestHTTP.send("GET", base + "/ensembles/e/workflows", headers: ["Host": "h:1"])
            #expect(list.jsonArray?.first?["href"] as? String == "http://h:1/ensembles/e/workflows/w")
        }
    }

    @Test func requestWithoutHostUsesTheConfiguredAddress() async throws {
        try await APIHarness.with(live: true) { _, api in
            let port = try #require(api.client.port)
            _ = try await TestHTTP.send("POST", "http://127.0.0.1:\(port)/ensembles", form: ["name": "e"])
            // HTTP/1.0 without keep-alive: answered as HTTP/1.0, then closed (RawHTTP reads to the end).
            let raw = try RawHTTP.exchange(port: port, "GET /ensembles/e HTTP/1.0\r\n\r\n")
            #expect(raw.hasPrefix("HTTP/1.0 200"), "\(raw)")
            #expect(raw.contains("\"href\": \"http://127.0.0.1:7919/ensembles/e\""), "\(raw)")
        }
    }
}

/// A minimal blocking HTTP exchange over a TCP socket, for requests a client library would not send.
enum RawHTTP {
    static func exchange(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: response, as: UTF8.self)
    }
}
