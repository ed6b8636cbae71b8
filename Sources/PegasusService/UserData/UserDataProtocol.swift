import Foundation

/// One SQLite value crossing the reader protocol.
public enum SQLValue: Codable, Sendable, Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    /// The value as a number, when it is one (integers widen to Double).
    public var double: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .text(let s): Double(s)
        case .null: nil
        }
    }

    /// The value as an integer, when it is one.
    public var int: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d): Int64(exactly: d.rounded(.towardZero))
        case .text(let s): Int64(s)
        case .null: nil
        }
    }

    /// The value as text; numbers are rendered, NULL is nil.
    public var text: String? {
        switch self {
        case .text(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .null: nil
        }
    }

    public var isNull: Bool { self == .null }
}

/// The result of one SQL query: column names and rows in order.
public struct SQLRows: Codable, Sendable, Equatable {
    public var columns: [String]
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The rows as dictionaries keyed by column name.
    public var records: [[String: SQLValue]] {
        rows.map { row in
            var record: [String: SQLValue] = [:]
            for (i, column) in columns.enumerated() where i < row.count { record[column] = row[i] }
            return record
        }
    }
}

/// One entry of a directory listing.
public struct DirectoryEntry: Codable, Sendable, Equatable {
    public var name: String
    public var isDirectory: Bool
    public var size: Int64
    public var modified: Double

    public init(name: String, isDirectory: Bool, size: Int64, modified: Double) {
        self.name = name
        self.isDirectory = isDirectory
        self.size = size
        self.modified = modified
    }
}

/// What a confined path is.
public enum PathKind: String, Codable, Sendable {
    case directory, file, missing
}

/// A request for the target user's data. Every read of a user's files goes through one of these, so that with
/// PROCESS_SWITCHING it can be answered by a helper process running as that user.
public enum UserDataRequest: Codable, Sendable, Equatable {
    /// Runs one read-only SQL statement against the SQLite database at an absolute path.
    case query(database: String, sql: String, arguments: [SQLValue])
    /// Whether a file exists and is readable (for example a stampede database).
    case readable(path: String)
    /// What `path` (relative to `root`) is, after confinement to `root`.
    case kind(root: String, path: String)
    /// Lists a directory given relative to `root`; the result never leaves `root`, symlinks included.
    case listDirectory(root: String, path: String)
    /// Reads at most `limit` bytes of a file given relative to `root` (confined like `listDirectory`).
    case readFile(root: String, path: String, limit: Int)
    /// The uid and gid the reader runs as (diagnostics and tests).
    case identity
}

/// The answer to a ``UserDataRequest``.
public enum UserDataResponse: Codable, Sendable, Equatable {
    case rows(SQLRows)
    case flag(Bool)
    case kind(PathKind)
    case directory([DirectoryEntry])
    case file(Data, truncated: Bool)
    case identity(uid: UInt32, gid: UInt32)
    case failure(UserDataFailure)
}

/// Why a read failed, in terms the HTTP layer can map to a status.
public struct UserDataFailure: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        /// The file or directory does not exist (404).
        case notFound
        /// The path leaves its root, through `..` or a symlink (404 as well: nothing is revealed).
        case outsideRoot
        /// The reader may not read it (403).
        case permissionDenied
        /// The database could not be opened or queried.
        case database
        /// The helper process failed.
        case helper
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Answers ``UserDataRequest``s for one user: in process (as the service user) or through a helper process
/// running as the target user.
public protocol UserDataSource: Sendable {
    func perform(_ request: UserDataRequest) async throws(UserDataFailure) -> UserDataResponse
}

extension UserDataSource {
    /// Runs a read-only query.
    public func query(_ database: String, _ sql: String, _ arguments: [SQLValue] = []) async throws(UserDataFailure)
        -> SQLRows
    {
        switch try await perform(.query(database: database, sql: sql, arguments: arguments)) {
        case .rows(let rows): return rows
        case let other: throw Self.unexpected(other)
        }
    }

    /// Whether a file exists and can be read.
    public func isReadable(_ path: String) async throws(UserDataFailure) -> Bool {
        switch try await perform(.readable(path: path)) {
        case .flag(let flag): return flag
        case let other: throw Self.unexpected(other)
        }
    }

    /// What a path under `root` is.
    public func kind(root: String, path: String) async throws(UserDataFailure) -> PathKind {
        switch try await perform(.kind(root: root, path: path)) {
        case .kind(let kind): return kind
        case let other: throw Self.unexpected(other)
        }
    }

    /// Lists a directory under `root`.
    public func listDirectory(root: String, path: String) async throws(UserDataFailure) -> [DirectoryEntry] {
        switch try await perform(.listDirectory(root: root, path: path)) {
        case .directory(let entries): return entries
        case let other: throw Self.unexpected(other)
        }
    }

    /// Reads a file under `root`, at most `limit` bytes.
    public func readFile(root: String, path: String, limit: Int) async throws(UserDataFailure) -> (
        data: Data, truncated: Bool
    ) {
        switch try await perform(.readFile(root: root, path: path, limit: limit)) {
        case .file(let data, let truncated): return (data, truncated)
        case let other: throw Self.unexpected(other)
        }
    }

    /// The reader's uid and gid.
    public func identity() async throws(UserDataFailure) -> (uid: UInt32, gid: UInt32) {
        switch try await perform(.identity) {
        case .identity(let uid, let gid): return (uid, gid)
        case let other: throw Self.unexpected(other)
        }
    }

    static func unexpected(_ response: UserDataResponse) -> UserDataFailure {
        if case .failure(let failure) = response { return failure }
        return UserDataFailure(.helper, "unexpected reader response")
    }
}
