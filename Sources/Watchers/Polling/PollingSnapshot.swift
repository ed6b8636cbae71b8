import Glibc

/// One entry of a polling snapshot.
struct PolledEntry: Equatable {
    var identity: FileIdentity
    /// ctime in ns: lets a file that was renamed in (ctime > mtime) be told apart from one still being written.
    var ctimeNanoseconds: Int64
    var isDirectory: Bool
    /// A followed symbolic link: it appears in one step, like a rename.
    var isSymlink: Bool

    init(identity: FileIdentity, ctimeNanoseconds: Int64, isDirectory: Bool, isSymlink: Bool = false) {
        self.identity = identity
        self.ctimeNanoseconds = ctimeNanoseconds
        self.isDirectory = isDirectory
        self.isSymlink = isSymlink
    }

    init(_ info: stat, isDirectory: Bool, isSymlink: Bool) {
        self.init(
            identity: FileIdentity(info), ctimeNanoseconds: info.ctimeNanoseconds, isDirectory: isDirectory,
            isSymlink: isSymlink)
    }

    /// Same inode: a changed identity with the same inode is a write, a changed inode is a replacement.
    func isSameInode(as other: PolledEntry) -> Bool {
        identity.device == other.identity.device && identity.inode == other.identity.inode
    }
}

/// Pure state machine behind the polling watcher: feed it successive snapshots, get events.
///
/// Rules (one call of ``apply(_:)`` per poll interval):
/// - a new directory → `directoryCreated`; a vanished directory → `fileRemoved` (after its files);
/// - a new file that carries the inode of a file that vanished in the same poll (a rename inside the tree),
///   or whose ctime is newer than its mtime (renamed in, or `cp -p`/rsync finished by setting times), or that
///   is a followed symbolic link → `fileMovedIn` at once;
/// - any other new or changed file → `fileClosed` once a later poll sees the same size, mtime and inode;
/// - a vanished file that had been reported → `fileRemoved` (never-reported files vanish silently).
struct PollingSnapshot {
    private struct Tracked {
        var entry: PolledEntry
        var reported: Bool
    }

    private var known: [String: Tracked] = [:]

    init() {}

    /// Number of tracked files and directories.
    var count: Int { known.count }

    /// Takes `snapshot` as the already-reported state (start-up: the consumer scans instead).
    mutating func baseline(_ snapshot: [String: PolledEntry]) {
        known = snapshot.mapValues { Tracked(entry: $0, reported: true) }
    }

    /// Diffs `snapshot` against the previous state and returns the events, parents before children for
    /// creations and children before parents for removals.
    mutating func apply(_ snapshot: [String: PolledEntry]) -> [WatchEvent] {
        var events: [WatchEvent] = []
        var removedInodes: Set<InodeKey> = []

        var removals: [(path: String, tracked: Tracked)] = []
        for (path, tracked) in known {
            guard let now = snapshot[path], now.isDirectory == tracked.entry.isDirectory else {
                removals.append((path, tracked))
                continue
            }
        }
        for (path, tracked) in removals.sorted(by: { $0.path > $1.path }) {
            known[path] = nil
            if !tracked.entry.isDirectory { removedInodes.insert(InodeKey(tracked.entry)) }
            if tracked.reported { events.append(.fileRemoved(path)) }
        }

        for path in snapshot.keys.sorted() {
            let entry = snapshot[path]!
            if entry.isDirectory {
                if let previous = known[path], previous.entry.isSameInode(as: entry) {
                    known[path]?.entry = entry
                } else {
                    if known[path] != nil { events.append(.fileRemoved(path)) }
                    known[path] = Tracked(entry: entry, reported: true)
                    events.append(.directoryCreated(path))
                }
                continue
            }
            if let previous = known[path], previous.entry.isSameInode(as: entry) {
                if previous.entry.identity == entry.identity {
                    if !previous.reported {
                        known[path]?.reported = true
                        events.append(.fileClosed(path))
                    }
                } else {
                    known[path] = Tracked(entry: entry, reported: false)
                }
                continue
            }
            // New path, or the path now names another inode (replaced by a rename or re-created).
            if removedInodes.contains(InodeKey(entry)) || entry.isSymlink
                || entry.ctimeNanoseconds > entry.identity.mtimeNanoseconds
            {
                known[path] = Tracked(entry: entry, reported: true)
                events.append(.fileMovedIn(path))
            } else {
                known[path] = Tracked(entry: entry, reported: false)
            }
        }
        return events
    }

    /// Walks `root` (which must exist) and returns its entries, statting each.
    static func take(root: String, depth: Int, followSymlinks: Bool) -> [String: PolledEntry] {
        var snapshot: [String: PolledEntry] = [:]
        TreeWalker.walk(root: root, depth: depth, followSymlinks: followSymlinks) { path, kind, info, isSymlink in
            snapshot[path] = PolledEntry(info, isDirectory: kind == .directory, isSymlink: isSymlink)
        }
        return snapshot
    }
}

private struct InodeKey: Hashable {
    var device: UInt64
    var inode: UInt64

    init(_ entry: PolledEntry) {
        device = entry.identity.device
        inode = entry.identity.inode
    }
}
