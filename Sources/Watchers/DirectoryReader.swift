import Glibc

/// One entry of a directory listing, classified with the least number of system calls.
struct DirectoryEntry {
    /// What the entry is, after applying the symbolic-link policy.
    enum Kind {
        case file, directory, skipped
    }

    var name: String
    var kind: Kind
    /// Filled when the entry had to be (or was asked to be) stat'ed; a followed link has its target's.
    var info: stat?
    /// The entry is a symbolic link that was followed.
    var isSymlink = false
}

/// `opendir`/`readdir` with `fstatat` relative to the open directory.
enum DirectoryReader {
    /// Lists `path`, calling `body` for every entry except `.` and `..`.
    ///
    /// - Parameters:
    ///   - followSymlinks: a link is classified by its target (dangling links are skipped); otherwise links
    ///     are `.skipped`.
    ///   - statFiles: always `fstatat` files (and directories) so `info` is filled; otherwise only when the
    ///     `d_type` is unknown or a link must be resolved.
    ///   - directoryInfo: receives the `fstat` of the open directory itself (for device checks), if wanted.
    /// - Returns: 0, or the `errno` of `opendir`.
    @discardableResult
    static func list(
        _ path: String,
        followSymlinks: Bool,
        statFiles: Bool,
        directoryInfo: ((stat) -> Void)? = nil,
        _ body: (DirectoryEntry) -> Void
    ) -> Int32 {
        guard let directory = opendir(path) else { return errno }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        if let directoryInfo {
            var info = stat()
            if fstat(descriptor, &info) == 0 { directoryInfo(info) }
        }
        while let entry = readdir(directory) {
            let type = entry.pointee.d_type
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var kind: DirectoryEntry.Kind
            var info: stat?
            var isSymlink = false
            switch Int32(type) {
            case Int32(DT_REG) where !statFiles:
                kind = .file
            case Int32(DT_DIR) where !statFiles:
                kind = .directory
            case Int32(DT_LNK) where !followSymlinks:
                kind = .skipped
            case Int32(DT_REG), Int32(DT_DIR), Int32(DT_LNK), Int32(DT_UNKNOWN):
                var buffer = stat()
                guard fstatat(descriptor, name, &buffer, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                if FileKind(mode: buffer.st_mode) == .symlink && followSymlinks {
                    guard fstatat(descriptor, name, &buffer, 0) == 0 else { continue }  // dangling
                    isSymlink = true
                }
                info = buffer
                switch FileKind(mode: buffer.st_mode) {
                case .regular: kind = .file
                case .directory: kind = .directory
                case .symlink, .other: kind = .skipped
                }
            default:
                kind = .skipped
            }
            body(DirectoryEntry(name: name, kind: kind, info: info, isSymlink: isSymlink))
        }
        return 0
    }

    /// `stat` (following links) of a directory, or `nil` if it does not exist or is not a directory.
    static func directoryInfo(_ path: String) -> stat? {
        var info = stat()
        guard stat(path, &info) == 0, FileKind(mode: info.st_mode) == .directory else { return nil }
        return info
    }
}

/// Device and inode of a directory, to notice a root that was replaced or remounted.
struct DirectoryIdentity: Hashable {
    var device: UInt64
    var inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    static func of(_ path: String) -> DirectoryIdentity? {
        DirectoryReader.directoryInfo(path).map(DirectoryIdentity.init)
    }
}
