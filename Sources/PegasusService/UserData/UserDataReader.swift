import Foundation
import GRDB
import Synchronization
import Watchers

#if canImport(Glibc)
    import Glibc
#endif

/// Performs ``UserDataRequest``s synchronously, with the permissions of the calling process.
///
/// It is the one piece of code that touches a user's files: used in process when PROCESS_SWITCHING is off and
/// inside the reader helper (running as the target user) when it is on. Calls block, so callers run it on a
/// dispatch queue or a dedicated process, never on the Swift concurrency pool.
///
/// Without PROCESS_SWITCHING the service's own permissions would decide, and the paths come from the user's own
/// databases (`db_url`, `submit_dir`): so a request can name an `owner`, and then every database and every root
/// directory read must belong to that uid (after following symlinks). A user cannot point the service at
/// `/etc/shadow` or at the service's key.
public final class UserDataReader: Sendable {
    private let databases = Mutex<[String: (queue: DatabaseQueue, device: UInt64, inode: UInt64)]>([:])
    private static let cachedDatabases = 32

    public init() {}

    /// Answers one request; failures become `.failure` responses.
    /// - Parameter owner: when set, only files and directories owned by this uid are read.
    public func perform(_ request: UserDataRequest, owner: UInt32? = nil) -> UserDataResponse {
        do {
            switch request {
            case .query(let database, let sql, let arguments):
                return .rows(try query(database: database, sql: sql, arguments: arguments, owner: owner))
            case .readable(let path):
                return .flag(access(path, R_OK) == 0 && (try? Self.checkOwner(path, owner)) != nil)
            case .kind(let root, let path):
                do {
                    let resolved = try Self.confine(root: root, path: path, owner: owner)
                    return .kind(Self.isDirectory(resolved) ? .directory : .file)
                } catch let failure where failure.kind == .notFound {
                    return .kind(.missing)
                }
            case .listDirectory(let root, let path):
                return .directory(try list(try Self.confine(root: root, path: path, owner: owner), root: root))
            case .readFile(let root, let path, let limit):
                let (data, truncated) = try read(try Self.confine(root: root, path: path, owner: owner), limit: limit)
                return .file(data, truncated: truncated)
            case .identity:
                return .identity(uid: getuid(), gid: getgid())
            }
        } catch {
            return .failure(error)
        }
    }

    // MARK: - SQLite

    func query(database path: String, sql: String, arguments: [SQLValue], owner: UInt32? = nil)
        throws(UserDataFailure) -> SQLRows
    {
        try Self.checkOwner(path, owner)
        let queue = try open(path)
        do {
            return try queue.read { db in
                let statement = try db.makeStatement(sql: sql)
                guard statement.isReadonly else {
                    throw UserDataFailure(.database, "only read-only statements are allowed")
                }
                statement.arguments = StatementArguments(arguments.map(Self.databaseValue))
                let columns = statement.columnNames
                var rows: [[SQLValue]] = []
                let cursor = try Row.fetchCursor(statement)
                while let row = try cursor.next() {
                    rows.append((0..<columns.count).map { Self.sqlValue(row[$0] as DatabaseValue) })
                }
                return SQLRows(columns: columns, rows: rows)
            }
        } catch let failure as UserDataFailure {
            throw failure
        } catch {
            throw UserDataFailure(.database, "\((path as NSString).lastPathComponent): \(Self.describe(error))")
        }
    }

    private func open(_ path: String) throws(UserDataFailure) -> DatabaseQueue {
        // A cached connection serves only while the path still names the same file: a database that was
        // deleted or replaced is not read through an old descriptor.
        guard let status = FileStatus.of(path) else {
            databases.withLock { _ = $0.removeValue(forKey: path) }
            throw UserDataFailure(.notFound, "database \(path) does not exist")
        }
        if let cached = databases.withLock({ $0[path] }), cached.device == status.device,
            cached.inode == status.inode
        {
            return cached.queue
        }
        // Opening a FIFO or device would block (or worse): only regular files are databases.
        guard status.isRegular else { throw UserDataFailure(.notFound, "\(path) is not a database file") }
        guard access(path, R_OK) == 0 else {
            throw UserDataFailure(.permissionDenied, "database \(path) is not readable")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw UserDataFailure(.database, "cannot open \(path): \(Self.describe(error))")
        }
        databases.withLock {
            if $0.count >= Self.cachedDatabases { $0.removeAll() }
            $0[path] = (queue, status.device, status.inode)
        }
        return queue
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }

    private static func databaseValue(_ value: SQLValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .int(let i): i.databaseValue
        case .double(let d): d.databaseValue
        case .text(let s): s.databaseValue
        }
    }

    private static func sqlValue(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let i): .int(i)
        case .double(let d): d.isFinite ? .double(d) : .null  // JSON has no infinity
        case .string(let s): .text(s)
        case .blob(let data): .text(String(decoding: data, as: UTF8.self))
        }
    }

    // MARK: - Files, confined to a root

    /// Refuses a file or directory that does not belong to `owner` (after following symlinks); nil accepts all.
    static func checkOwner(_ path: String, _ owner: UInt32?) throws(UserDataFailure) {
        guard let owner else { return }
        guard let status = FileStatus.of(path) else { throw UserDataFailure(.notFound, "\(path) does not exist") }
        guard status.owner == owner else {
            throw UserDataFailure(.permissionDenied, "\(path) does not belong to the user whose data is shown")
        }
    }

    /// ``confine(root:path:)`` with the resolved root's owner checked against `owner`.
    static func confine(root: String, path: String, owner: UInt32?) throws(UserDataFailure) -> String {
        if owner != nil, let realRoot = realPath(root) { try checkOwner(realRoot, owner) }
        return try confine(root: root, path: path)
    }

    /// Resolves `path` below `root` with every symlink and `..` followed, and refuses a result outside `root`.
    public static func confine(root: String, path: String) throws(UserDataFailure) -> String {
        guard !root.contains("\0"), !path.contains("\0") else {
            throw UserDataFailure(.outsideRoot, "invalid path")
        }
        guard let realRoot = realPath(root) else {
            throw UserDataFailure(.notFound, "\(root) does not exist")
        }
        let relative = path.drop(while: { $0 == "/" })
        let joined = relative.isEmpty ? realRoot : realRoot + "/" + relative
        guard let resolved = realPath(joined) else {
            if errno == EACCES { throw UserDataFailure(.permissionDenied, "permission denied: \(relative)") }
            throw UserDataFailure(.notFound, "\(relative) does not exist")
        }
        guard resolved == realRoot || resolved.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            throw UserDataFailure(.outsideRoot, "\(relative) is outside the submit directory")
        }
        return resolved
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether the absolute `path` resolves to `root` or below it.
    private static func isInside(_ path: String, root: String) -> Bool {
        guard let resolved = realPath(path), let realRoot = realPath(root) else { return false }
        return resolved == realRoot || resolved.hasPrefix(realRoot == "/" ? "/" : realRoot + "/")
    }

    private static func isDirectory(_ path: String) -> Bool {
        FileStatus.of(path)?.isDirectory ?? false
    }

    private func list(_ directory: String, root: String) throws(UserDataFailure) -> [DirectoryEntry] {
        guard Self.isDirectory(directory) else { throw UserDataFailure(.notFound, "not a directory") }
        guard let dir = opendir(directory) else {
            throw errno == EACCES
                ? UserDataFailure(.permissionDenied, "permission denied") : UserDataFailure(.notFound, "cannot list")
        }
        defer { closedir(dir) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let full = directory + "/" + name
            guard var status = FileStatus.of(full, follow: false) else { continue }
            // A symlink counts as what it points to, and only if that stays inside the root (the submit dir).
            if status.isSymlink {
                guard Self.isInside(full, root: root), let target = FileStatus.of(full) else { continue }
                status = target
            }
            entries.append(
                DirectoryEntry(
                    name: name, isDirectory: status.isDirectory, size: status.size, modified: status.modified))
        }
        return entries.sorted { $0.name < $1.name }
    }

    private func read(_ path: String, limit: Int) throws(UserDataFailure) -> (Data, Bool) {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file.
        let fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw errno == EACCES
                ? UserDataFailure(.permissionDenied, "permission denied") : UserDataFailure(.notFound, "cannot open")
        }
        defer { close(fd) }
        guard let status = FileStatus.of(descriptor: fd), status.isRegular else {
            throw UserDataFailure(.notFound, "not a regular file")
        }
        let cap = max(0, limit)
        var data = Data(count: min(cap, Int(status.size)) + 1)
        var filled = 0
        let wanted = min(cap + 1, data.count)
        while filled < wanted {
            let n = data.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + filled, wanted - filled)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        let truncated = filled > cap
        data.count = min(filled, cap)
        return (data, truncated)
    }
}

/// Answers requests in this process, with the service's own permissions (PROCESS_SWITCHING off).
public struct LocalUserData: UserDataSource {
    let reader: UserDataReader
    /// When set, only files owned by this uid are read (see ``UserDataReader``).
    let owner: UInt32?
    private static let queue = DispatchQueue(label: "pegasus-service.reader", attributes: .concurrent)

    public init(reader: UserDataReader = UserDataReader(), owner: UInt32? = nil) {
        self.reader = reader
        self.owner = owner
    }

    public func perform(_ request: UserDataRequest) async throws(UserDataFailure) -> UserDataResponse {
        let reader = self.reader
        let owner = self.owner
        let response = await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: reader.perform(request, owner: owner)) }
        }
        if case .failure(let failure) = response { throw failure }
        return response
    }
}
