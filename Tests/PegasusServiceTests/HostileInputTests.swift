import EMTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PegasusService

/// Values a user controls (URL parameters, the contents of their own databases, the kinds of files in their
/// submit directories) never crash or hang the service, and never lead it to files that are not theirs.
@Suite struct HostileInputTests {
    static let user = "hostile"

    static func home() async throws -> TemporaryDirectory {
        let home = try TemporaryDirectory(prefix: "pegasus-service-hostile")
        try FileManager.default.createDirectory(atPath: home.file(".pegasus"), withIntermediateDirectories: true)
        try await MasterFixture.make(home.file(".pegasus/workflow.db"), labels: ["huge", "infinite"])
        return home
    }

    static func sql(_ database: String, _ statements: String) throws {
        let result = try ProcessRunner.run(["/usr/bin/sqlite3", database], stdin: statements)
        try #require(result.status == 0, "\(result.stderr)")
    }

    @Test func absurdTimestampsInTheUsersOwnDatabaseAreShownNotFatal() async throws {
        let home = try await Self.home()
        defer { home.remove() }
        try Self.sql(
            home.file(".pegasus/workflow.db"),
            """
            UPDATE master_workflow SET timestamp = 1e300 WHERE dax_label = 'huge';
            UPDATE master_workflow SET timestamp = 1e999 WHERE dax_label = 'infinite';
            INSERT INTO master_workflowstate VALUES (1, 'WORKFLOW_STARTED', -1e300, 0, NULL, NULL);
            INSERT INTO master_workflowstate VALUES (2, 'WORKFLOW_TERMINATED', 1e999, 0, 0, NULL);
            """)
        let app = TestService.application(access: TestService.access(home: home.path, user: Self.user))
        try await app.test(.router) { client in
            try await client.execute(uri: "/u/\(Self.user)/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("huge"))
            }
            try await client.execute(uri: "/u/\(Self.user)/?sort=timestamp&dir=asc", method: .get) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/v1/user/\(Self.user)/root", method: .get) { response in
                #expect(response.status == .ok)
                let object =
                    try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                let records = try #require(object?["records"] as? [[String: Any]])
                let infinite = try #require(records.first { $0["dax_label"] as? String == "infinite" })
                #expect(infinite["timestamp"] is NSNull, "JSON has no infinity")
            }
        }
    }

    @Test(arguments: [
        "statistics/job?page=9223372036854775807", "statistics/job?page=-1&per_page=99999999999",
        "statistics?page=9223372036854775807", "charts?format=json",
    ])
    func hugePageNumbersAreRefusedOrIgnored(path: String) async throws {
        let manifest = try ServiceFixtures.manifest()
        let home = try ServiceFixtures.home()
        let workflows = try #require(manifest["workflows"] as? [[String: Any]])
        let small = try #require(workflows.first { $0["label"] as? String == "small" })
        let root = try #require(small["master_wf_id"] as? Int)
        let wf = try #require(small["stampede_wf_id"] as? Int)
        let app = TestService.application(access: TestService.access(home: home, user: Self.user))
        try await app.test(.router) { client in
            try await client.execute(uri: "/u/\(Self.user)/r/\(root)/w/\(wf)/\(path)", method: .get) {
                #expect([200, 400].contains($0.status.code), "\(path): \($0.status)")
            }
        }
    }

    @Test func ensemblePageOffsetsAreBounded() async throws {
        let home = try await Self.home()
        defer { home.remove() }
        let app = TestService.application(access: TestService.access(home: home.path, user: Self.user))
        try await app.test(.router) { client in
            try await client.execute(uri: "/u/\(Self.user)/ensembles/x?offset=9223372036854775807", method: .get) {
                #expect($0.status == .badRequest || $0.status == .notFound)
            }
        }
    }
}

/// The reader itself: ownership, FIFOs, replaced databases.
@Suite struct UserDataReaderTests {
    @Test func withAnOwnerOnlyThatUsersFilesAreRead() async throws {
        let temp = try TemporaryDirectory(prefix: "pegasus-service-owner")
        defer { temp.remove() }
        try await MasterFixture.make(temp.file("mine.db"), labels: ["mine"])
        try temp.write("sub/file.txt", "secret")
        let me = getuid()
        let stranger: UInt32 = me == 4242 ? 4243 : 4242
        let sql = "SELECT dax_label FROM master_workflow"

        let owned = LocalUserData(owner: me)
        #expect(try await owned.query(temp.file("mine.db"), sql).rows.count == 1)
        #expect(try await owned.isReadable(temp.file("mine.db")))
        #expect(try await owned.kind(root: temp.path, path: "mine.db") == .file)

        let foreign = LocalUserData(owner: stranger)
        await #expect(throws: UserDataFailure.self) { try await foreign.query(temp.file("mine.db"), sql) }
        #expect(try await foreign.isReadable(temp.file("mine.db")) == false)
        await #expect(throws: UserDataFailure.self) { try await foreign.listDirectory(root: temp.path, path: "") }
        await #expect(throws: UserDataFailure.self) {
            try await foreign.readFile(root: temp.path, path: "mine.db", limit: 10)
        }
        // A link in the user's directory to a database of someone else is judged by the file it leads to: a
        // valid database owned by the stranger, which the stranger's reader reads (so only the owner check can
        // refuse it to the user).
        try await MasterFixture.make(temp.file("theirs.db"), labels: ["theirs"])
        try #require(chown(temp.file("theirs.db"), stranger, getgid()) == 0, "chown needs root: errno \(errno)")
        #expect(try await foreign.query(temp.file("theirs.db"), sql).rows.count == 1)
        try FileManager.default.createSymbolicLink(
            atPath: temp.file("link.db"), withDestinationPath: temp.file("theirs.db"))
        await #expect(throws: UserDataFailure.self) { try await owned.query(temp.file("link.db"), sql) }
    }

    @Test func aFIFOIsRefusedWithoutWaitingForAWriter() async throws {
        let temp = try TemporaryDirectory(prefix: "pegasus-service-fifo")
        defer { temp.remove() }
        #expect(mkfifo(temp.file("pipe"), 0o644) == 0)
        let reader = LocalUserData()
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: UserDataFailure.self) {
            try await reader.readFile(root: temp.path, path: "pipe", limit: 100)
        }
        await #expect(throws: UserDataFailure.self) { try await reader.query(temp.file("pipe"), "SELECT 1") }
        #expect(clock.now - start < .seconds(10), "nothing waited for a writer")
    }

    @Test func aReplacedDatabaseIsReadAfresh() async throws {
        let temp = try TemporaryDirectory(prefix: "pegasus-service-replace")
        defer { temp.remove() }
        try await MasterFixture.make(temp.file("one.db"), labels: ["first"])
        try await MasterFixture.make(temp.file("two.db"), labels: ["second"])
        let reader = LocalUserData()
        let sql = "SELECT dax_label FROM master_workflow"
        #expect(try await reader.query(temp.file("one.db"), sql).rows.first?.first == .text("first"))
        #expect(rename(temp.file("two.db"), temp.file("one.db")) == 0)
        #expect(try await reader.query(temp.file("one.db"), sql).rows.first?.first == .text("second"))
        try FileManager.default.removeItem(atPath: temp.file("one.db"))
        await #expect(throws: UserDataFailure.self) { try await reader.query(temp.file("one.db"), sql) }
    }
}
