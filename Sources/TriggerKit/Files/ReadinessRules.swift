import Foundation

/// When a file a trigger has seen counts as completely written ("ready").
///
/// A file is ready when it was closed after writing, moved in, or found by a scan, AND no process has it open for
/// writing, AND it stayed unchanged for the quiet period. Whether anybody has it open for writing is asked with a
/// read-lease probe (`WriterProbe`); where the kernel refuses the probe (not the file's owner, NFS, FUSE, ...) the
/// file must instead stay unchanged for the longer ``settle`` period, counted from when it was last seen to change
/// or, for a file found by a scan, from its discovery. With a ``readyMarker`` the marker must exist as well.
public struct ReadinessRules: Sendable, Hashable {
    /// The default quiet period where the writer check works. Measured (docs/readiness-measurements.md): the
    /// common writers (cp, cp -p, rsync, gzip, tar, curl) are done changing a file within microseconds of its
    /// last close or rename; 25 ms leaves a wide margin and keeps close → workflow at interval + 25 ms.
    public static let defaultQuietPeriod = 0.025
    /// The default settle period where the writer check is refused: Pegasus users' 1 s.
    public static let defaultSettle = 1.0
    /// The longest a tick waits for files that are about to pass their quiet period (so that a file closed just
    /// before a tick is not left for the next one).
    public static let maximumTickGrace = 0.1

    /// Seconds a file must stay unchanged when the writer check says nobody writes it.
    public var quietPeriod: Double
    /// Seconds a file must stay unchanged when the writer check is refused.
    public var settle: Double
    /// An optional sentinel that must exist before a file is taken.
    public var readyMarker: ReadyMarker?

    /// The rules of a trigger.
    /// - Parameters:
    ///   - settle: the trigger's `settle` option: when given, both periods are this value (for writers that reopen
    ///     the file for every append); otherwise the defaults.
    ///   - readyMarker: the trigger's `ready_marker`, if any.
    public init(settle: Double? = nil, readyMarker: ReadyMarker? = nil) {
        self.quietPeriod = settle ?? Self.defaultQuietPeriod
        self.settle = settle ?? Self.defaultSettle
        self.readyMarker = readyMarker
    }

    /// How long a tick may wait for files about to become ready: the quiet period when it is short, else nothing.
    public var tickGrace: Double {
        quietPeriod <= Self.maximumTickGrace ? quietPeriod : 0
    }
}

/// A sentinel file that marks another file, or a whole directory, as complete (`--ready-marker GLOB`).
///
/// - With one `*` (such as `*.done`, `*.md5` or `.*.complete`), the marker of `/in/x.dat` is `/in/x.dat.done`:
///   the `*` stands for the file's name. Files whose names match the glob are markers, never inputs.
/// - Without `*` (such as `DONE` or `_SUCCESS`), the marker is that file in the same directory and marks every
///   file of the directory.
public struct ReadyMarker: Sendable, Hashable, CustomStringConvertible {
    /// The glob as given.
    public let glob: String
    private let prefix: String
    private let suffix: String
    private let perFile: Bool

    /// Parses a marker glob.
    /// - Throws: ``TriggerError`` (`invalidFilePattern`) for an empty glob, a `/`, more than one `*`, or `?`, `[`.
    public init(_ glob: String) throws(TriggerError) {
        func fail(_ detail: String) -> TriggerError {
            TriggerError(code: .invalidFilePattern, message: "invalid ready marker '\(glob)': \(detail)")
        }
        guard !glob.isEmpty else { throw fail("it must not be empty") }
        guard !glob.contains("/") else { throw fail("it must be a file name without '/' (e.g. '*.done' or 'DONE')") }
        guard !glob.contains("?"), !glob.contains("["), !glob.contains("\\") else {
            throw fail("only '*' (standing for the file's name) is allowed as a wildcard")
        }
        let parts = glob.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw fail("it may contain at most one '*'") }
        guard glob != "*" else { throw fail("'*' alone would make every file a marker") }
        self.glob = glob
        self.perFile = parts.count == 2
        self.prefix = String(parts[0])
        self.suffix = parts.count == 2 ? String(parts[1]) : ""
    }

    public var description: String { glob }

    /// Whether the file at `path` is a marker (its name matches the glob).
    public func isMarker(_ path: String) -> Bool {
        let name = Self.name(of: path)
        if perFile {
            return name.count > prefix.count + suffix.count && name.hasPrefix(prefix) && name.hasSuffix(suffix)
        }
        return name == prefix
    }

    /// The marker that must exist before `path` is taken.
    public func marker(for path: String) -> String {
        let directory = Self.directory(of: path)
        let name = perFile ? prefix + Self.name(of: path) + suffix : prefix
        return directory == "/" ? "/" + name : directory + "/" + name
    }

    static func name(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? ""
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
