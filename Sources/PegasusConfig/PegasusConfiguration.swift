import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The Pegasus service configuration: built-in defaults, then `~/.pegasus/service.py`, then the file named by
/// `PEGASUS_ENV`, then environment variables of the same names (strings, coerced per key).
///
/// Both `pegasus-em` (client and server) and `pegasus-service` read it. Every key is documented in the README.
public struct PegasusConfiguration: Sendable {
    /// The effective raw values by key.
    public private(set) var values: [String: ConfigValue]
    /// Where each key's value came from (`default`, a file path, or `environment`), for diagnostics.
    public private(set) var sources: [String: String]
    /// The home directory the defaults are resolved against.
    public let home: String
    /// The uid the defaults are computed for (`EM_PORT`).
    public let uid: UInt32

    /// The keys whose values are read from the environment as well.
    public static let knownKeys: [String] = [
        "SERVER_HOST", "SERVER_PORT", "CERTIFICATE", "PRIVATE_KEY", "PEGASUS_SERVICE_URL_PREFIX", "MAX_PROCESSES",
        "DEBUG", "SECRET_KEY", "AUTHENTICATION", "PROCESS_SWITCHING", "CACHE_TYPE", "ADMIN_USERS", "USERNAME",
        "PASSWORD", "EM_INTERVAL", "STORAGE_DIRECTORY", "PEGASUS_HOME", "CONDOR_HOME", "EM_HOST", "EM_PORT",
        "EM_DATABASE", "MASTER_DB", "EM_ALLOW_ROOT", "PAM_SERVICE", "PLANNING_TIMEOUT", "RUN_TIMEOUT",
        "RECONCILE_INTERVAL", "EM_CACERT", "MASTER_DB_GRACE", "TRIGGER_LEDGER_RETENTION",
        "EM_ALLOW_REMOTE_NOAUTH",
    ]

    /// Creates a configuration from explicit values on top of the defaults (tests and embedding).
    public init(home: String, uid: UInt32, values: [String: ConfigValue] = [:]) {
        self.home = home
        self.uid = uid
        self.values = Self.defaults(uid: uid)
        self.sources = self.values.mapValues { _ in "default" }
        for (k, v) in values {
            self.values[k] = v
            self.sources[k] = "explicit"
        }
    }

    /// The built-in defaults (Pegasus' `Pegasus/service/defaults.py` plus the EM's own keys).
    public static func defaults(uid: UInt32) -> [String: ConfigValue] {
        [
            "SERVER_HOST": .string("localhost"),
            "SERVER_PORT": .int(5000),
            "CERTIFICATE": .none,
            "PRIVATE_KEY": .none,
            "DEBUG": .bool(false),
            "AUTHENTICATION": .string("PAMAuthentication"),
            "PROCESS_SWITCHING": .bool(true),
            "ADMIN_USERS": .none,
            "USERNAME": .string(""),
            "PASSWORD": .string(""),
            "EM_INTERVAL": .int(60),
            "STORAGE_DIRECTORY": .string("/var/pegasus"),
            "EM_HOST": .string("127.0.0.1"),
            "EM_PORT": .int(defaultEMPort(uid: uid)),
            "EM_ALLOW_ROOT": .bool(false),
            "EM_ALLOW_REMOTE_NOAUTH": .bool(false),
            "PAM_SERVICE": .string("login"),
            "PLANNING_TIMEOUT": .int(3600),
            "RUN_TIMEOUT": .int(600),
            "RECONCILE_INTERVAL": .int(300),
            // 30 days; 0 or None keeps the file triggers' ledger rows forever.
            "TRIGGER_LEDGER_RETENTION": .int(2_592_000),
        ]
    }

    /// Pegasus' port rule (master, #2227): `7919 + uid % (65535 - 7919)`.
    public static func defaultEMPort(uid: UInt32) -> Int {
        7919 + Int(uid) % (65535 - 7919)
    }

    /// Loads the configuration the way Pegasus does, with environment variables on top.
    /// - Parameters:
    ///   - environment: the process environment (`PEGASUS_ENV` and per-key overrides are read from it).
    ///   - home: the home directory; defaults to `$HOME`, then the password database.
    ///   - uid: the user id used for the default `EM_PORT`.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        home: String? = nil,
        uid: UInt32 = getuid()
    ) throws(ConfigurationError) -> PegasusConfiguration {
        let home = home ?? environment["HOME"] ?? NSHomeDirectory()
        var config = PegasusConfiguration(home: home, uid: uid)
        let main = home + "/.pegasus/service.py"
        try config.merge(file: main, required: false)
        if let extra = environment["PEGASUS_ENV"], !extra.isEmpty {
            try config.merge(file: extra, required: true)
        }
        for key in knownKeys {
            if let value = environment[key] {
                config.values[key] = .string(value)
                config.sources[key] = "environment"
            }
        }
        return config
    }

    /// Reads one configuration file on top of the current values.
    public mutating func merge(file: String, required: Bool) throws(ConfigurationError) {
        guard FileManager.default.fileExists(atPath: file) else {
            if required {
                throw ConfigurationError(file: file, line: 0, key: nil, reason: "file not found")
            }
            return
        }
        let source: String
        do {
            source = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                file: file, line: 0, key: nil, reason: "cannot read: \(error.localizedDescription)")
        }
        for (k, v) in try PythonLiteralParser.parse(source, file: file) {
            values[k] = v
            sources[k] = file
        }
    }

    /// Sets one value (tests, command-line overrides).
    public mutating func set(_ key: String, _ value: ConfigValue) {
        values[key] = value
        sources[key] = "explicit"
    }

    // MARK: - Typed access

    /// The raw value of a key, if set.
    public subscript(key: String) -> ConfigValue? { values[key] }

    /// A string value; numbers are rendered; None and missing are nil.
    public func string(_ key: String) -> String? {
        switch values[key] {
        case .string(let s): s
        case .int(let i): String(i)
        case .float(let d): String(d)
        case .bool(let b): b ? "True" : "False"
        default: nil
        }
    }

    /// A boolean value. Strings from the environment accept `1/0`, `true/false`, `yes/no`, `on/off`.
    public func bool(_ key: String) throws(ConfigurationError) -> Bool {
        switch values[key] {
        case .none?, nil: return false
        case .string(let s):
            switch s.trimmingCharacters(in: .whitespaces).lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off", "", "none": return false
            default: throw invalid(key, "expected True or False, got '\(s)'")
            }
        case let v?: return v.isTruthy
        }
    }

    /// An integer value. Strings must hold an integer.
    public func int(_ key: String) throws(ConfigurationError) -> Int? {
        switch values[key] {
        case .none?, nil: return nil
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .float(let d) where d == d.rounded(): return Int(d)
        case .string(let s):
            guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else {
                throw invalid(key, "expected an integer, got '\(s)'")
            }
            return i
        case let v?: throw invalid(key, "expected an integer, got \(v)")
        }
    }

    /// A number of seconds (int or float).
    public func seconds(_ key: String) throws(ConfigurationError) -> Double? {
        switch values[key] {
        case .none?, nil: return nil
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .string(let s):
            guard let d = Double(s.trimmingCharacters(in: .whitespaces)), d >= 0 else {
                throw invalid(key, "expected a number of seconds, got '\(s)'")
            }
            return d
        case let v?: throw invalid(key, "expected a number of seconds, got \(v)")
        }
    }

    /// Expands a leading `~/` against ``home``.
    public func expandingTilde(_ path: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        return path
    }

    private func invalid(_ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(file: sources[key] ?? "configuration", line: 0, key: key, reason: reason)
    }

    // MARK: - Keys of the ensemble manager

    /// `EM_HOST`: the address `pegasus-em server` binds and the client connects to.
    public var emHost: String { string("EM_HOST") ?? "127.0.0.1" }

    /// `EM_PORT`: the EM's TCP port.
    public func emPort() throws(ConfigurationError) -> Int {
        let port = try int("EM_PORT") ?? Self.defaultEMPort(uid: uid)
        guard (0...65535).contains(port) else { throw invalid("EM_PORT", "port must be 0...65535, got \(port)") }
        return port
    }

    /// `EM_DATABASE`: the EM's SQLite store.
    public var emDatabase: String { expandingTilde(string("EM_DATABASE") ?? "~/.pegasus/em.db") }

    /// `MASTER_DB`: Pegasus' master database, read-only for the EM.
    public var masterDatabase: String { expandingTilde(string("MASTER_DB") ?? "~/.pegasus/workflow.db") }

    /// The directory holding per-ensemble workflow logs: `~/.pegasus/ensembles`.
    public var ensemblesDirectory: String { home + "/.pegasus/ensembles" }

    /// `USERNAME`/`PASSWORD`: the client's HTTP Basic credentials, when set.
    public var credentials: (username: String, password: String)? {
        guard let u = string("USERNAME"), !u.isEmpty, let p = string("PASSWORD"), !p.isEmpty else { return nil }
        return (u, p)
    }

    /// A warning when the file that sets a non-empty `PASSWORD` can be read by its group or by others (the
    /// password of a PAM login is then readable by other users); nil otherwise, and when `PASSWORD` comes from the
    /// environment.
    public func passwordFileWarning() -> String? {
        guard let password = string("PASSWORD"), !password.isEmpty, let file = sources["PASSWORD"],
            !["default", "environment", "explicit"].contains(file)
        else { return nil }
        var status = stat()
        guard stat(file, &status) == 0, status.st_mode & 0o044 != 0 else { return nil }
        let mode = String(status.st_mode & 0o777, radix: 8)
        return "\(file) holds PASSWORD and can be read by other users (mode \(mode)): chmod 600 \(file)"
    }
}
