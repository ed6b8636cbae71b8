import Glibc

/// What `stat`/`lstat`/`fstat` say about a file: its type, size and modification time.
public struct FileStatus: Sendable, Equatable {
    public var isDirectory: Bool
    public var isSymlink: Bool
    public var isRegular: Bool
    public var size: Int64
    public var modified: Double
    /// The owner's uid.
    public var owner: UInt32
    /// The device and inode: which file this is, whatever its content.
    public var device: UInt64
    public var inode: UInt64

    private init(_ info: stat) {
        let kind = FileKind(mode: info.st_mode)
        isDirectory = kind == .directory
        isSymlink = kind == .symlink
        isRegular = kind == .regular
        size = Int64(info.st_size)
        modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        owner = info.st_uid
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The status of `path`, following a final symlink unless `follow` is false.
    public static func of(_ path: String, follow: Bool = true) -> FileStatus? {
        var info = stat()
        let result = follow ? stat(path, &info) : lstat(path, &info)
        return result == 0 ? FileStatus(info) : nil
    }

    /// The status of an open file.
    public static func of(descriptor fd: Int32) -> FileStatus? {
        var info = stat()
        return fstat(fd, &info) == 0 ? FileStatus(info) : nil
    }
}
