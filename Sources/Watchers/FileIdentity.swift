import Glibc

/// The identity of a regular file as seen by `stat(2)`: which inode it is, and which version of its content.
///
/// Two observations of the same path with equal identities are treated as "unchanged". The ledger of the
/// trigger engine keys files on `(device, inode, size, mtimeNanoseconds)` plus the path.
public struct FileIdentity: Sendable, Hashable, Codable {
    /// `st_dev` of the filesystem holding the file.
    public var device: UInt64
    /// `st_ino` of the file.
    public var inode: UInt64
    /// `st_size` in bytes.
    public var size: Int64
    /// `st_mtim` as nanoseconds since the epoch.
    public var mtimeNanoseconds: Int64

    /// Creates an identity from its parts.
    public init(device: UInt64, inode: UInt64, size: Int64, mtimeNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    init(_ info: stat) {
        self.device = UInt64(info.st_dev)
        self.inode = UInt64(info.st_ino)
        self.size = Int64(info.st_size)
        self.mtimeNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// The identity of the regular file at `path`, or `nil`.
    ///
    /// Returns `nil` when the path does not exist, cannot be stat'ed, or is not a regular file (a directory,
    /// FIFO, socket, device, or, when `followSymlinks` is `false`, a symbolic link). With `followSymlinks`
    /// the link is resolved (`stat`) and the identity is the target's; a dangling link gives `nil`.
    public static func of(path: String, followSymlinks: Bool = false) -> FileIdentity? {
        var info = stat()
        let rc = followSymlinks ? stat(path, &info) : lstat(path, &info)
        guard rc == 0, FileKind(mode: info.st_mode) == .regular else { return nil }
        return FileIdentity(info)
    }
}

/// A regular file found by ``scanFiles(root:followSymlinks:)``.
public struct ScannedFile: Sendable, Hashable {
    /// Absolute path of the file (under the scanned root; symbolic links are not resolved in the path).
    public var path: String
    /// Its identity at the time of the scan.
    public var identity: FileIdentity

    /// Creates a scanned file record.
    public init(path: String, identity: FileIdentity) {
        self.path = path
        self.identity = identity
    }
}

/// The file type bits of `st_mode`, without depending on how Glibc imports the `S_IF*` macros.
enum FileKind: Equatable {
    case regular, directory, symlink, other

    init(mode: UInt32) {
        switch mode & 0o170000 {
        case 0o100000: self = .regular
        case 0o040000: self = .directory
        case 0o120000: self = .symlink
        default: self = .other
        }
    }
}

extension stat {
    /// `st_ctim` in nanoseconds (changes on rename, chmod and every write).
    var ctimeNanoseconds: Int64 {
        Int64(st_ctim.tv_sec) * 1_000_000_000 + Int64(st_ctim.tv_nsec)
    }
}
