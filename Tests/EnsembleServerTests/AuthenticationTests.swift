import EnsembleServer
import EnsembleStore
import Foundation
import HTTPTypes
import PegasusAuth
import Synchronization
import Testing

/// HTTP Basic in front of every route but `/health`: 401 with Pegasus' challenge, 403 for an authenticated user
/// other than the server's owner, and a cache of successful checks (real PAM is in the end-to-end tests).
@Suite(.timeLimit(.minutes(1)))
struct AuthenticationTests {
    /// Accepts fixed passwords and counts its calls.
    final class FakeAuthenticator: Authenticator {
        let passwords: [String: String]
        private let counter = Mutex<[String]>([])

        init(_ passwords: [String: String]) { self.passwords = passwords }

        var calls: [String] { counter.withLock { $0 } }

        func authenticate(username: String, password: String) async -> Bool {
            counter.withLock { $0.append(username) }
            return passwords[username] == password
        }
    }

    static let owner = currentUserName()

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func ownerIsTheUserTheProcessRunsAs() {
        let expected = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        #expect(currentUserName() == expected)
    }

    @Test(
        "missing or malformed credentials get Pegasus' challenge",
        arguments: [
            nil, "Bearer abc", "Basic", "Basic !!!not-base64", "Basic " + Data("no-colon".utf8).base64EncodedString(),
            "Basic " + Data(":password-only".utf8).base64EncodedString(),
        ] as [String?])
    func challenge(header: String?) async throws {
        let auth = FakeAuthenticator([Self.owner: "pw"])
        try await APIHarness.with(authenticator: auth) { _, api in
            var headers: HTTPFields = [:]
            if let header { headers[.authorization] = header }
            let reply = try await api.get("/ensembles", headers: headers)
            #expect(reply.status == 401)
            #expect(reply.headers[.wwwAuthenticate] == "Basic realm=\"Pegasus Service\"")
            #expect(reply.message == "Basic Auth Required")
        }
        #expect(auth.calls.isEmpty, "nothing to check without a user name")
    }

    @Test func wrongPasswordIs401AndIsNotCached() async throws {
        let auth = FakeAuthenticator([Self.owner: "pw"])
        try await APIHarness.with(authenticator: auth) { _, api in
            let headers: HTTPFields = [.authorization: Self.basic(Self.owner, "wrong")]
            for _ in 0..<2 {
                let reply = try await api.get("/ensembles", headers: headers)
                #expect(reply.status == 401)
                #expect(reply.headers[.wwwAuthenticate] == "Basic realm=\"Pegasus Service\"")
            }
            let unknown = try await api.get("/ensembles", headers: [.authorization: Self.basic("nobody-here", "x")])
            #expect(unknown.status == 401)
        }
        #expect(auth.calls == [Self.owner, Self.owner, "nobody-here"])
    }

    @Test func ownerWithTheRightPasswordIsServedAndCached() async throws {
        let auth = FakeAuthenticator([Self.owner: "pa:ss word"])
        try await APIHarness.with(authenticator: auth) { _, api in
            let headers: HTTPFields = [.authorization: Self.basic(Self.owner, "pa:ss word")]
            let first = try await api.get("/ensembles", headers: headers)
            #expect(first.status == 200)
            #expect(first.body == "[]")
            let created = try await api.send(
                .post, "/ensembles", body: "name=e", contentType: "application/x-www-form-urlencoded", headers: headers)
            #expect(created.status == 201)
            #expect(try await api.get("/ensembles/e", headers: headers).status == 200)
            // Another password for the same user is checked again (and fails).
            let other = try await api.get("/ensembles", headers: [.authorization: Self.basic(Self.owner, "pa:ss")])
            #expect(other.status == 401)
        }
        #expect(auth.calls == [Self.owner, Self.owner], "one check for three requests with the same credentials")
    }

    @Test func anotherAuthenticatedUserIs403() async throws {
        let auth = FakeAuthenticator([Self.owner: "pw", "someone-else": "theirs"])
        try await APIHarness.with(authenticator: auth) { harness, api in
            let reply = try await api.send(
                .post, "/ensembles", body: "name=e", contentType: "application/x-www-form-urlencoded",
                headers: [.authorization: Self.basic("someone-else", "theirs")])
            #expect(reply.status == 403)
            #expect(reply.message == "User someone-else may not use the ensemble manager of \(Self.owner)")
            #expect(try await harness.store.ensembles().isEmpty)
            // A wrong password of that user is a 401, not a 403: the answer tells nothing about the owner.
            let wrong = try await api.get("/ensembles", headers: [.authorization: Self.basic("someone-else", "x")])
            #expect(wrong.status == 401)
        }
        #expect(auth.calls == ["someone-else", "someone-else"])
    }

    @Test func healthNeedsNoCredentials() async throws {
        let auth = FakeAuthenticator([:])
        try await APIHarness.with(authenticator: auth) { _, api in
            let reply = try await api.get("/health")
            #expect(reply.status == 200)
            #expect(reply.object["status"] as? String == "ok")
        }
        #expect(auth.calls.isEmpty)
    }

    @Test func withoutAuthenticatorEverythingIsOpen() async throws {
        try await APIHarness.with(authenticator: nil) { _, api in
            let reply = try await api.get("/ensembles")
            #expect(reply.status == 200)
        }
    }

    @Test func unknownRoutesAreAuthenticatedFirst() async throws {
        let auth = FakeAuthenticator([Self.owner: "pw"])
        try await APIHarness.with(authenticator: auth) { _, api in
            #expect(try await api.get("/secret-probe").status == 401)
            let authorized = try await api.get(
                "/secret-probe", headers: [.authorization: Self.basic(Self.owner, "pw")])
            #expect(authorized.status == 404)
        }
    }
}
