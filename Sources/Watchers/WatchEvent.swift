/// Something that happened under a watched root. All paths are absolute and start with the root's path.
///
/// Delivery is *at least once*: the same file may be reported twice (for example once by the scan of a new
/// directory and once by its close event), and a consumer deduplicates on ``FileIdentity``. Nothing that
/// happens after the watches of a root are in place is lost: when the watcher cannot vouch for that
/// (overflow, mode switch, start-up) it says so with ``rescanNeeded(root:reason:)``.
public enum WatchEvent: Sendable, Hashable {
    /// A regular file was closed after being written (`IN_CLOSE_WRITE`), or found by the scan of a directory
    /// that appeared, or (polling) its size and mtime stayed unchanged for one poll interval after a change.
    case fileClosed(String)
    /// A regular file was renamed into the tree (`IN_MOVED_TO`), or was found inside a directory that was moved
    /// in. Polling reports this for a file renamed inside the tree, and for a new file whose ctime is newer
    /// than its mtime (the inode changed after its last write, as a rename or `cp -p` does).
    case fileMovedIn(String)
    /// A file or directory was deleted or moved out of the tree. For a directory, the files below it may or may
    /// not be reported one by one. The path may name something never reported (a symbolic link, say).
    case fileRemoved(String)
    /// A directory appeared within the recursion depth. It is already watched and scanned when this arrives,
    /// and its files follow as ``fileClosed(_:)`` (or ``fileMovedIn(_:)`` when the directory was moved in).
    case directoryCreated(String)
    /// The watcher may have missed events under `root`: call ``scanFiles(root:followSymlinks:)`` and reconcile.
    ///
    /// Sent once per root at start-up (after its watches are in place, so a scan triggered by it cannot race
    /// with set-up), after an inotify queue overflow (after the watches were re-established), and when a root
    /// switches to polling at run time.
    case rescanNeeded(root: String, reason: String)
    /// The root directory was deleted, moved, unmounted or replaced. The watcher waits for it to come back.
    case rootGone(String)
    /// A root that did not exist (or was gone) now exists and is watched. Its existing directories follow as
    /// ``directoryCreated(_:)`` and its files as ``fileClosed(_:)`` (polling: once stable for one interval, or
    /// at once as ``fileMovedIn(_:)`` when their ctime is newer than their mtime).
    case rootAppeared(String)
}

extension WatchEvent {
    /// The path the event is about (the root for root-level events).
    public var path: String {
        switch self {
        case .fileClosed(let path), .fileMovedIn(let path), .fileRemoved(let path), .directoryCreated(let path),
            .rootGone(let path), .rootAppeared(let path):
            return path
        case .rescanNeeded(let root, _):
            return root
        }
    }
}
