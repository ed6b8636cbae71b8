import Watchers

/// A file handed to a workflow: its path and the identity it had when it was judged ready. The ledger's key:
/// the same path with the same identity is never submitted twice; a replaced file (new inode, size or mtime) is
/// new input.
public struct TriggerInput: Sendable, Hashable {
    /// Absolute path (symbolic links in it are not resolved).
    public var path: String
    /// `st_dev` of the filesystem holding the file.
    public var device: UInt64
    /// `st_ino` of the file.
    public var inode: UInt64
    /// `st_size` in bytes.
    public var size: Int64
    /// `st_mtim` as nanoseconds since the epoch.
    public var mtimeNanoseconds: Int64

    /// Creates an input from its parts (as the ledger stores them).
    public init(path: String, device: UInt64, inode: UInt64, size: Int64, mtimeNanoseconds: Int64) {
        self.path = path
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    /// The input a watcher's scanned file stands for.
    init(_ file: ScannedFile) {
        self.init(
            path: file.path, device: file.identity.device, inode: file.identity.inode, size: file.identity.size,
            mtimeNanoseconds: file.identity.mtimeNanoseconds)
    }
}

extension TriggerInput {
    /// The input the regular file at `path` is now (symbolic links followed), or nil. A blocking `stat`.
    public static func current(at path: String) -> TriggerInput? {
        FileIdentity.of(path: path, followSymlinks: true).map { TriggerInput(ScannedFile(path: path, identity: $0)) }
    }

    /// Whether the regular file at `path` (symbolic links followed, as triggers take them) has this identity now.
    /// A blocking `stat`: call it off the concurrency pool.
    public func isPresent(at path: String) -> Bool {
        guard let now = FileIdentity.of(path: path, followSymlinks: true) else { return false }
        return now.device == device && now.inode == inode && now.size == size
            && now.mtimeNanoseconds == mtimeNanoseconds
    }
}
