import Foundation
import PegasusConfig
import Testing

/// Layering (defaults, `~/.pegasus/service.py`, `$PEGASUS_ENV`, environment), defaults and typed accessors.
struct PegasusConfigurationTests {
    /// A temporary home directory with an optional `~/.pegasus/service.py`, removed by `remove()`.
    struct Home {
        let path: String

        init(servicepy: String? = nil) throws {
            var template = Array("\(NSTemporaryDirectory())/pegasus-config-test-XXXXXX".utf8CString)
            let created = try #require(mkdtemp(&template))
            path = String(cString: created)
            if let servicepy { try write(".pegasus/service.py", servicepy) }
        }

        @discardableResult
        func write(_ name: String, _ text: String) throws -> String {
            let file = path + "/" + name
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    // MARK: - Defaults

    @Test(
        "EM_PORT default is 7919 + uid % (65535 - 7919)",
        arguments: [
            (0, 7919), (1, 7920), (1000, 8919), (57615, 65534), (57616, 7919), (60000, 10303), (65534, 15837),
            (4_294_967_294, 7919 + 4_294_967_294 % 57616),
        ] as [(UInt32, Int)])
    func defaultPort(uid: UInt32, port: Int) throws {
        #expect(PegasusConfiguration.defaultEMPort(uid: uid) == port)
        let config = PegasusConfiguration(home: "/home/u", uid: uid)
        #expect(try config.emPort() == port)
        #expect(config.sources["EM_PORT"] == "default")
    }

    @Test func defaultsWithoutAnyFile() throws {
        let home = try Home()
        defer { home.remove() }
        let config = try PegasusConfiguration.load(environment: ["HOME": home.path], uid: 1000)
        #expect(config.home == home.path)
        #expect(try config.emPort() == 8919)
        #expect(config.emHost == "127.0.0.1")
        #expect(config.emDatabase == home.path + "/.pegasus/em.db")
        #expect(config.masterDatabase == home.path + "/.pegasus/workflow.db")
        #expect(config.ensemblesDirectory == home.path + "/.pegasus/ensembles")
        #expect(config.string("AUTHENTICATION") == "PAMAuthentication")
        #expect(config.string("PAM_SERVICE") == "login")
        #expect(try config.bool("EM_ALLOW_ROOT") == false)
        #expect(try config.bool("PROCESS_SWITCHING") == true)
        #expect(try config.int("EM_INTERVAL") == 60)
        #expect(try config.int("SERVER_PORT") == 5000)
        #expect(config.string("SERVER_HOST") == "localhost")
        #expect(config["ADMIN_USERS"] == ConfigValue.none)
        #expect(config.string("CERTIFICATE") == nil)
        #expect(config.credentials == nil)
        #expect(config.sources["AUTHENTICATION"] == "default")
    }

    @Test func homeComesFromTheEnvironmentOrTheArgument() throws {
        let a = try Home(servicepy: "EM_PORT = 1111\n")
        let b = try Home(servicepy: "EM_PORT = 2222\n")
        defer {
            a.remove()
            b.remove()
        }
        #expect(try PegasusConfiguration.load(environment: ["HOME": a.path]).emPort() == 1111)
        #expect(try PegasusConfiguration.load(environment: ["HOME": a.path], home: b.path).emPort() == 2222)
    }

    // MARK: - Layering

    @Test func serviceFileOverridesDefaults() throws {
        let home = try Home(
            servicepy: """
                EM_PORT = 9999
                EM_HOST = '0.0.0.0'
                EM_DATABASE = '~/data/em.sqlite'
                MASTER_DB = '/var/lib/pegasus/workflow.db'
                USERNAME = 'alice'
                PASSWORD = 's3cret'
                AUTHENTICATION = 'NoAuthentication'
                """)
        defer { home.remove() }
        let config = try PegasusConfiguration.load(environment: ["HOME": home.path], uid: 0)
        let file = home.path + "/.pegasus/service.py"
        #expect(try config.emPort() == 9999)
        #expect(config.emHost == "0.0.0.0")
        #expect(config.emDatabase == home.path + "/data/em.sqlite")
        #expect(config.masterDatabase == "/var/lib/pegasus/workflow.db")
        #expect(config.credentials?.username == "alice")
        #expect(config.credentials?.password == "s3cret")
        #expect(config.sources["EM_PORT"] == file)
        #expect(config.sources["SERVER_PORT"] == "default")
    }

    @Test func pegasusEnvFileOverridesServiceFile() throws {
        let home = try Home(servicepy: "EM_PORT = 9999\nEM_HOST = 'from-service'\nUSERNAME = 'alice'\n")
        defer { home.remove() }
        let extra = try home.write("extra.py", "EM_PORT = 7777\nPASSWORD = 'pw'\n")
        let config = try PegasusConfiguration.load(environment: ["HOME": home.path, "PEGASUS_ENV": extra], uid: 0)
        #expect(try config.emPort() == 7777)
        #expect(config.emHost == "from-service")
        #expect(config.credentials?.username == "alice")
        #expect(config.credentials?.password == "pw")
        #expect(config.sources["EM_PORT"] == extra)
        #expect(config.sources["EM_HOST"] == home.path + "/.pegasus/service.py")
    }

    @Test func aPasswordReadableByOthersIsReported() throws {
        let home = try Home(servicepy: "USERNAME = 'alice'\nPASSWORD = 's3cret'\n")
        defer { home.remove() }
        let file = home.path + "/.pegasus/service.py"
        let load = { try PegasusConfiguration.load(environment: ["HOME": home.path], uid: 0) }
        for (mode, exposed) in [(0o644, true), (0o640, true), (0o604, true), (0o600, false), (0o400, false)] {
            chmod(file, mode_t(mode))
            let warning = try load().passwordFileWarning()
            if exposed {
                #expect(
                    warning
                        == "\(file) holds PASSWORD and can be read by other users (mode \(String(mode, radix: 8))): "
                        + "chmod 600 \(file)")
            } else {
                #expect(warning == nil, "mode \(String(mode, radix: 8))")
            }
        }
        // Only the file PASSWORD comes from counts: none, or the environment, is no warning.
        chmod(file, 0o644)
        let fromEnvironment = try PegasusConfiguration.load(
            environment: ["HOME": home.path, "PASSWORD": "x"], uid: 0)
        #expect(fromEnvironment.passwordFileWarning() == nil)
        try home.write(".pegasus/service.py", "USERNAME = 'alice'\n")
        chmod(file, 0o644)
        #expect(try load().passwordFileWarning() == nil)
    }

    @Test func environmentOverridesBothFiles() throws {
        let home = try Home(servicepy: "EM_PORT = 9999\nEM_ALLOW_ROOT = False\nEM_DATABASE = '/a.db'\n")
        defer { home.remove() }
        let extra = try home.write("extra.py", "EM_PORT = 7777\n")
        let config = try PegasusConfiguration.load(
            environment: [
                "HOME": home.path, "PEGASUS_ENV": extra, "EM_PORT": "6543", "EM_ALLOW_ROOT": "yes",
                "EM_DATABASE": "~/env.db", "UNRELATED": "x",
            ], uid: 0)
        #expect(try config.emPort() == 6543)
        #expect(try config.bool("EM_ALLOW_ROOT") == true)
        #expect(config.emDatabase == home.path + "/env.db")
        #expect(config.sources["EM_PORT"] == "environment")
        #expect(config["UNRELATED"] == nil, "only known keys are read from the environment")
    }

    @Test func emptyPegasusEnvIsIgnored() throws {
        let home = try Home(servicepy: "EM_PORT = 9999\n")
        defer { home.remove() }
        let config = try PegasusConfiguration.load(environment: ["HOME": home.path, "PEGASUS_ENV": ""], uid: 0)
        #expect(try config.emPort() == 9999)
    }

    @Test func missingPegasusEnvFileIsAnError() throws {
        let home = try Home()
        defer { home.remove() }
        let missing = home.path + "/nope.py"
        let error = #expect(throws: ConfigurationError.self) {
            try PegasusConfiguration.load(environment: ["HOME": home.path, "PEGASUS_ENV": missing], uid: 0)
        }
        #expect(error == ConfigurationError(file: missing, line: 0, key: nil, reason: "file not found"))
    }

    @Test func syntaxErrorInAFileNamesFileLineAndKey() throws {
        let home = try Home(servicepy: "EM_PORT = 9999\n\nSECRET_KEY = os.urandom(24)\n")
        defer { home.remove() }
        let error = #expect(throws: ConfigurationError.self) {
            try PegasusConfiguration.load(environment: ["HOME": home.path], uid: 0)
        }
        #expect(error?.file == home.path + "/.pegasus/service.py")
        #expect(error?.line == 3)
        #expect(error?.key == "SECRET_KEY")
        #expect(error?.description.hasPrefix("\(home.path)/.pegasus/service.py:3: SECRET_KEY: ") == true)

        let extra = try home.write("extra.py", "import os\n")
        try home.write(".pegasus/service.py", "EM_PORT = 1\n")
        let envError = #expect(throws: ConfigurationError.self) {
            try PegasusConfiguration.load(environment: ["HOME": home.path, "PEGASUS_ENV": extra], uid: 0)
        }
        #expect(envError?.file == extra)
        #expect(envError?.line == 1)
    }

    @Test func unreadableServiceFileIsAnError() throws {
        let home = try Home()
        defer { home.remove() }
        try home.write(".pegasus/service.py", "")
        // Invalid UTF-8 cannot be read as text.
        try Data([0x41, 0x20, 0x3D, 0x20, 0xFF, 0xFE, 0x0A]).write(
            to: URL(fileURLWithPath: home.path + "/.pegasus/service.py"))
        let error = #expect(throws: ConfigurationError.self) {
            try PegasusConfiguration.load(environment: ["HOME": home.path], uid: 0)
        }
        #expect(error?.file == home.path + "/.pegasus/service.py")
        #expect(error?.reason.hasPrefix("cannot read") == true)
    }

    // MARK: - Typed accessors

    @Test(
        "bool accepts Python values and common strings",
        arguments: [
            (ConfigValue.bool(true), true), (.bool(false), false), (.none, false), (.int(1), true), (.int(0), false),
            (.string("1"), true), (.string("true"), true), (.string(" Yes "), true), (.string("ON"), true),
            (.string("0"), false), (.string("False"), false), (.string("no"), false), (.string("off"), false),
            (.string(""), false), (.string("None"), false), (.list([]), false), (.list([.int(1)]), true),
        ])
    func bools(value: ConfigValue, expected: Bool) throws {
        var config = PegasusConfiguration(home: "/h", uid: 0)
        config.set("FLAG", value)
        #expect(try config.bool("FLAG") == expected)
    }

    @Test func missingBoolIsFalse() throws {
        #expect(try PegasusConfiguration(home: "/h", uid: 0).bool("NOT_SET") == false)
    }

    @Test func invalidBoolNamesTheKeyAndItsSource() throws {
        let config = PegasusConfiguration(home: "/h", uid: 0, values: ["EM_ALLOW_ROOT": .string("maybe")])
        let error = #expect(throws: ConfigurationError.self) { try config.bool("EM_ALLOW_ROOT") }
        #expect(error?.key == "EM_ALLOW_ROOT")
        #expect(error?.file == "explicit")
        #expect(error?.reason == "expected True or False, got 'maybe'")
    }

    @Test(
        "int",
        arguments: [
            (ConfigValue.int(5), 5 as Int?), (.string(" 12 "), 12), (.string("-3"), -3), (.bool(true), 1),
            (.float(3.0), 3), (.none, nil),
        ])
    func ints(value: ConfigValue, expected: Int?) throws {
        let config = PegasusConfiguration(home: "/h", uid: 0, values: ["N": value])
        #expect(try config.int("N") == expected)
    }

    @Test(
        "int errors",
        arguments: [
            (ConfigValue.string("abc"), "expected an integer, got 'abc'"),
            (.string("1.5"), "expected an integer, got '1.5'"),
            (.float(3.5), "expected an integer, got 3.5"),
            (.list([.int(1)]), "expected an integer, got [1]"),
        ])
    func intErrors(value: ConfigValue, reason: String) throws {
        let config = PegasusConfiguration(home: "/h", uid: 0, values: ["N": value])
        let error = #expect(throws: ConfigurationError.self) { try config.int("N") }
        #expect(error?.reason == reason)
        #expect(error?.key == "N")
    }

    @Test func intErrorFromAFileNamesTheFile() throws {
        let home = try Home(servicepy: "EM_PORT = 'abc'\n")
        defer { home.remove() }
        let config = try PegasusConfiguration.load(environment: ["HOME": home.path], uid: 0)
        let error = #expect(throws: ConfigurationError.self) { try config.emPort() }
        #expect(error?.description == "\(home.path)/.pegasus/service.py:0: EM_PORT: expected an integer, got 'abc'")
    }

    @Test func portRange() throws {
        for (value, ok) in [(0, true), (65535, true), (-1, false), (65536, false), (70000, false)] {
            let config = PegasusConfiguration(home: "/h", uid: 0, values: ["EM_PORT": .int(value)])
            if ok {
                #expect(try config.emPort() == value)
            } else {
                let error = #expect(throws: ConfigurationError.self) { try config.emPort() }
                #expect(error?.reason == "port must be 0...65535, got \(value)")
            }
        }
    }

    @Test func seconds() throws {
        let config = PegasusConfiguration(
            home: "/h", uid: 0,
            values: [
                "A": .int(2), "B": .float(0.5), "C": .string(" 1.5 "), "D": .none, "E": .string("-1"),
                "F": .string("soon"), "G": .list([]),
            ])
        #expect(try config.seconds("A") == 2)
        #expect(try config.seconds("B") == 0.5)
        #expect(try config.seconds("C") == 1.5)
        #expect(try config.seconds("D") == nil)
        #expect(try config.seconds("MISSING") == nil)
        #expect(throws: ConfigurationError.self) { try config.seconds("E") }
        let error = #expect(throws: ConfigurationError.self) { try config.seconds("F") }
        #expect(error?.reason == "expected a number of seconds, got 'soon'")
        #expect(throws: ConfigurationError.self) { try config.seconds("G") }
    }

    @Test func stringRendersScalarsAndHidesNoneAndContainers() {
        let config = PegasusConfiguration(
            home: "/h", uid: 0,
            values: [
                "S": .string("x"), "I": .int(5), "F": .float(1.5), "T": .bool(true), "N": .none, "L": .list([]),
            ])
        #expect(config.string("S") == "x")
        #expect(config.string("I") == "5")
        #expect(config.string("F") == "1.5")
        #expect(config.string("T") == "True")
        #expect(config.string("N") == nil)
        #expect(config.string("L") == nil)
        #expect(config.string("MISSING") == nil)
    }

    @Test func tildeExpansion() {
        let config = PegasusConfiguration(home: "/home/alice", uid: 0)
        #expect(config.expandingTilde("~") == "/home/alice")
        #expect(config.expandingTilde("~/x/y.db") == "/home/alice/x/y.db")
        #expect(config.expandingTilde("/abs/~/x") == "/abs/~/x")
        #expect(config.expandingTilde("~bob/x") == "~bob/x")
        #expect(config.expandingTilde("rel/x") == "rel/x")
        var withMaster = config
        withMaster.set("MASTER_DB", .string("~/.pegasus/other.db"))
        #expect(withMaster.masterDatabase == "/home/alice/.pegasus/other.db")
    }

    @Test func credentialsNeedBothValues() {
        #expect(PegasusConfiguration(home: "/h", uid: 0, values: ["USERNAME": .string("u")]).credentials == nil)
        #expect(PegasusConfiguration(home: "/h", uid: 0, values: ["PASSWORD": .string("p")]).credentials == nil)
        let both = PegasusConfiguration(
            home: "/h", uid: 0, values: ["USERNAME": .string("u"), "PASSWORD": .string("p")])
        #expect(both.credentials?.username == "u")
        #expect(both.credentials?.password == "p")
    }
}
