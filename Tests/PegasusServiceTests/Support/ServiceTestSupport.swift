import EMTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization

@testable import PegasusService

/// The monitoring fixtures (master and STAMPEDE databases with the real Pegasus schema and synthetic runs),
/// generated once by `tools/monitoring-fixtures/make-fixtures.sh` and cached on disk by generator version.
enum ServiceFixtures {
    /// Where the default fixture set lives.
    static let directory = FileManager.default.temporaryDirectory.path + "/pegasus-service-fixtures"
    private static let generated = Mutex<Result<[String: any Sendable], FixtureError>?>(nil)

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    /// Generates the fixtures (if needed) and returns the manifest.
    static func manifest() throws -> [String: Any] {
        try generated.withLock { state in
            if let state { return try state.get() }
            let result = Result { () throws(FixtureError) -> [String: any Sendable] in try generate() }
            state = result
            return try result.get()
        }
    }

    private static func generate() throws(FixtureError) -> [String: any Sendable] {
        let script = Binaries.repositoryRoot.appendingPathComponent("tools/monitoring-fixtures/make-fixtures.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = [directory]
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw FixtureError(description: "cannot run \(script): \(error)")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "make-fixtures.sh failed (\(process.terminationStatus)): \(message)")
        }
        guard let data = FileManager.default.contents(atPath: directory + "/manifest.json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: any Sendable]
        else { throw FixtureError(description: "no manifest.json in \(directory)") }
        return object
    }

    /// The fixture user's home directory (holds `.pegasus/workflow.db` and the submit directories).
    static func home() throws -> String {
        guard let home = try manifest()["home"] as? String else { throw FixtureError(description: "no home") }
        return home
    }
}

/// Builds the service's router for in-process tests.
enum TestService {
    /// The fixture user: a made-up, non-root identity (the service never serves root's data, and the tests may
    /// run as root), whose home is `home`. Files are read with the permissions of whoever runs the tests.
    static func user(home: String, name: String = userName) -> UnixUser {
        UnixUser(name: name, uid: 4242, gid: 4242, home: home)
    }

    /// Access control for tests: NoAuthentication as the service user `user` (made up, not root) whose home is
    /// `home`; `others` are more users (name to home); `root` is root, whose data is never served.
    static func access(
        home: String, user: String = userName, admins: AdminPolicy = .nobody, others: [String: String] = [:],
        authentication: ServiceAuthentication = .none
    ) -> AccessControl {
        let me = Self.user(home: home, name: user)
        return AccessControl(
            authentication: authentication, admins: admins, processSwitching: false, serviceUser: me,
            lookup: { name in
                if name == me.name { return me }
                if name == "root" { return UnixUser(name: "root", uid: 0, gid: 0, home: "/root") }
                return others[name].map { UnixUser(name: name, uid: 4243, gid: 4243, home: $0) }
            },
            readers: { _ in LocalUserData() })
    }

    /// An application serving the routes with the given access control and URL prefix.
    static func application(access: AccessControl, prefix: String = "") -> some ApplicationProtocol {
        Application(router: ServiceRouter.make(access: access, links: ServiceLinks(prefix: prefix)))
    }

    /// The fixture user's name.
    static let userName = "fixture"
}
