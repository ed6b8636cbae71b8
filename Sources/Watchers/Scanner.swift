import Glibc

/// All regular files under `root`, down to its depth, with their identities.
///
/// Use it at start-up and after ``WatchEvent/rescanNeeded(root:reason:)`` to reconcile with what was already
/// processed. Directories that cannot be read are skipped silently; a missing root gives an empty array. The
/// order is unspecified. With `followSymlinks`, links to files are reported under the link's path with the
/// target's identity, links to directories are descended into, and directory cycles are cut by
/// (device, inode).
public func scanFiles(root: WatchRoot, followSymlinks: Bool = false) -> [ScannedFile] {
    var files: [ScannedFile] = []
    TreeWalker.walk(root: root.path, depth: root.depth, followSymlinks: followSymlinks) { path, kind, info, _ in
        if kind == .file { files.append(ScannedFile(path: path, identity: FileIdentity(info))) }
    }
    return files
}

/// Depth-limited walk that stats every entry (used by the scanner and by the polling watcher).
enum TreeWalker {
    /// Calls `visit` for every regular file and directory below `root` (not for `root` itself). Files are
    /// visited in directories at level ≤ `depth` (the root is level 0); directories at level ≤ `depth` are
    /// visited and descended into.
    static func walk(
        root: String,
        depth: Int,
        followSymlinks: Bool,
        visit: (_ path: String, _ kind: DirectoryEntry.Kind, _ info: stat, _ isSymlink: Bool) -> Void
    ) {
        guard let rootInfo = DirectoryReader.directoryInfo(root) else { return }
        var visited: Set<DirectoryIdentity> = [DirectoryIdentity(rootInfo)]
        var stack: [(path: String, level: Int)] = [(root, 0)]
        while let (directory, level) = stack.popLast() {
            DirectoryReader.list(directory, followSymlinks: followSymlinks, statFiles: true) { entry in
                guard let info = entry.info else { return }
                let path = PathUtilities.join(directory, entry.name)
                switch entry.kind {
                case .file:
                    visit(path, .file, info, entry.isSymlink)
                case .directory:
                    guard level + 1 <= depth else { return }
                    if followSymlinks {
                        guard visited.insert(DirectoryIdentity(info)).inserted else { return }
                    }
                    visit(path, .directory, info, entry.isSymlink)
                    stack.append((path, level + 1))
                case .skipped:
                    return
                }
            }
        }
    }
}
