import Foundation
import Logging
import Watchers

#if canImport(Glibc)
    import Glibc
#endif

/// How a file-pattern trigger discovers and batches files.
public struct FileTriggerOptions: Sendable {
    public var patterns: FilePatternSet
    /// Seconds a file must stay unchanged (size, mtime) after its close or move before it is ready.
    public var settle: Double
    /// At most this many files per workflow.
    public var maxFiles: Int
    /// Bytes of the plan command before the file names (script, args, `--inputs`), for the ARG_MAX budget.
    public var commandBytes: Int
    public var watcher: WatcherConfiguration
    /// Seconds between safety-net scans of every root.
    public var reconcileInterval: Double
    /// Directories whose files are never matched (the EM's own directories, `processed/`).
    public var excludedDirectories: [String]

    public static let defaultSettle = 1.0
    public static let defaultMaxFiles = 1000

    public init(
        patterns: FilePatternSet, settle: Double = defaultSettle, maxFiles: Int = defaultMaxFiles,
        commandBytes: Int = 0, watcher: WatcherConfiguration = WatcherConfiguration(),
        reconcileInterval: Double = 300, excludedDirectories: [String] = []
    ) {
        self.patterns = patterns
        self.settle = settle
        self.maxFiles = maxFiles
        self.commandBytes = commandBytes
        self.watcher = watcher
        self.reconcileInterval = reconcileInterval
        self.excludedDirectories = excludedDirectories
    }
}

/// What `trigger-status` shows of a file trigger.
public struct FileTriggerStatus: Sendable, Equatable {
    public var roots: [RootStatus]
    public var pendingFiles: Int
    /// Seconds since the oldest pending file last changed.
    public var oldestPendingAge: Double?
    /// The next tick as the running trigger knows it (quiet ticks are not persisted).
    public var nextFire: Date?
}

/// Tracks the files of a file-pattern trigger: fed by a ``DirectoryWatcher`` (inotify, or polling on network
/// filesystems) plus scans at start, after overflows and every reconcile interval; hands out the ready ones.
actor FileCollector {
    struct Pending {
        var identity: FileIdentity
        /// When the file was last seen to change (its mtime for files found by a scan).
        var changedAt: Double
    }

    let options: FileTriggerOptions
    let logger: Logger
    private var pending: [String: Pending] = [:]
    private var watcher: DirectoryWatcher?
    private var scanned = false
    private var scanWaiters: [CheckedContinuation<Void, Never>] = []
    /// Wakes the trigger; called when the first pending file appears (the trigger sleeps while there is none).
    private var onChange: @Sendable () -> Void = {}

    init(options: FileTriggerOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    var roots: [WatchRoot] {
        options.patterns.watchRoots.map { WatchRoot(path: $0.path, depth: $0.depth) }
    }

    /// Watches until cancelled.
    func watch(onChange: @escaping @Sendable () -> Void) async {
        self.onChange = onChange
        let watcher = DirectoryWatcher(roots: roots, configuration: options.watcher)
        self.watcher = watcher
        defer { watcher.stop() }
        rescan(roots)
        scanned = true
        for waiter in scanWaiters { waiter.resume() }
        scanWaiters.removeAll()
        onChange()
        let reconcile = options.reconcileInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int64(reconcile * 1000)))
                    guard !Task.isCancelled, let self else { return }
                    await self.rescanAll()
                }
            }
            for await event in watcher.events {
                if Task.isCancelled { break }
                let wasIdle = pending.isEmpty
                handle(event)
                if wasIdle && !pending.isEmpty { onChange() }
            }
            group.cancelAll()
        }
    }

    func rescanAll() {
        let wasIdle = pending.isEmpty
        rescan(roots)
        if wasIdle && !pending.isEmpty { onChange() }
    }

    /// Whether there is nothing to submit until a file shows up (after the initial scan).
    var isIdle: Bool { scanned && pending.isEmpty }

    private func handle(_ event: WatchEvent) {
        let now = Date().timeIntervalSince1970
        switch event {
        case .fileClosed(let path), .fileMovedIn(let path):
            consider(path, changedAt: now)
        case .fileRemoved(let path):
            pending.removeValue(forKey: path)
            let prefix = path + "/"
            for key in pending.keys where key.hasPrefix(prefix) { pending.removeValue(forKey: key) }
        case .directoryCreated(let path):
            rescan(
                roots.filter { path.hasPrefix($0.path) }.map { root in
                    let below = path.dropFirst(root.path.count).split(separator: "/").count
                    return WatchRoot(
                        path: path, depth: root.depth == WatchRoot.unlimited ? root.depth : root.depth - below)
                }.filter { $0.depth >= 0 })
        case .rescanNeeded(let root, let reason):
            logger.debug("rescan", metadata: ["root": "\(root)", "reason": "\(reason)"])
            rescan(roots.filter { $0.path == root })
        case .rootAppeared(let root):
            rescan(roots.filter { $0.path == root })
        case .rootGone:
            break
        }
    }

    /// Whether `path` is one of the trigger's files: a pattern matches it without looking into a `processed/`
    /// directory below that pattern's root (a root that itself lies inside a directory named `processed` is fine),
    /// no ignore rule applies, and it is not in the EM's own directories.
    private func wanted(_ path: String) -> Bool {
        guard options.patterns.matches(path),
            !options.excludedDirectories.contains(where: { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") })
        else { return false }
        return options.patterns.patterns.contains { pattern in
            pattern.matches(path)
                && !path.dropFirst(pattern.root.count).split(separator: "/").dropLast().contains("processed")
        }
    }

    /// Records a file the watcher reported closed or moved in: its settle period starts now.
    private func consider(_ path: String, changedAt: Double) {
        guard wanted(path),
            let identity = FileIdentity.of(path: path, followSymlinks: options.watcher.followSymlinks)
        else { return }
        if let known = pending[path], known.identity == identity { return }
        pending[path] = Pending(identity: identity, changedAt: changedAt)
    }

    /// Scans roots and records what is new; a file found by a scan counts from its mtime.
    private func rescan(_ roots: [WatchRoot]) {
        for root in roots {
            for file in scanFiles(root: root, followSymlinks: options.watcher.followSymlinks)
            where wanted(file.path) {
                if let known = pending[file.path], known.identity == file.identity { continue }
                let mtime = Double(file.identity.mtimeNanoseconds) / 1e9
                pending[file.path] = Pending(identity: file.identity, changedAt: max(mtime, 0))
            }
        }
    }

    /// The files unchanged for the settle period, sorted by path. Files that changed are re-timed; vanished
    /// files are dropped.
    func readyFiles(now: Date) async -> [LedgerFile] {
        if !scanned { await withCheckedContinuation { scanWaiters.append($0) } }
        let t = now.timeIntervalSince1970
        var ready: [LedgerFile] = []
        for (path, entry) in pending {
            guard let current = FileIdentity.of(path: path, followSymlinks: options.watcher.followSymlinks) else {
                pending.removeValue(forKey: path)
                continue
            }
            if current != entry.identity {
                pending[path] = Pending(identity: current, changedAt: t)
                continue
            }
            let mtime = Double(current.mtimeNanoseconds) / 1e9
            if t - max(entry.changedAt, mtime) >= options.settle {
                ready.append(
                    LedgerFile(
                        path: path, device: current.device, inode: current.inode, size: current.size,
                        mtimeNanoseconds: current.mtimeNanoseconds))
            }
        }
        return ready.sorted { $0.path < $1.path }
    }

    /// Drops files that were submitted (or found in the ledger), unless they changed since.
    func forget(_ files: Set<LedgerFile>) {
        for file in files {
            if let entry = pending[file.path], entry.identity.inode == file.inode,
                entry.identity.size == file.size, entry.identity.mtimeNanoseconds == file.mtimeNanoseconds
            {
                pending.removeValue(forKey: file.path)
            }
        }
    }

    /// Splits files into workflows of at most `maxFiles` files whose command line stays under ARG_MAX.
    nonisolated func batches(_ files: [LedgerFile]) -> [[LedgerFile]] {
        let budget = Self.argumentBudget - options.commandBytes
        var result: [[LedgerFile]] = []
        var current: [LedgerFile] = []
        var bytes = 0
        for file in files {
            let size = file.path.utf8.count + 1 + MemoryLayout<UnsafePointer<CChar>>.size
            if !current.isEmpty && (current.count >= max(1, options.maxFiles) || bytes + size > budget) {
                result.append(current)
                current = []
                bytes = 0
            }
            current.append(file)
            bytes += size
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Half of ARG_MAX (the other half is left to the environment), at most 1 MiB.
    static let argumentBudget: Int = {
        let max = sysconf(Int32(_SC_ARG_MAX))
        return Swift.min(max > 0 ? max / 2 : 64 * 1024, 1 << 20)
    }()

    func status(now: Date) -> FileTriggerStatus {
        let t = now.timeIntervalSince1970
        return FileTriggerStatus(
            roots: watcher?.status() ?? [], pendingFiles: pending.count,
            oldestPendingAge: pending.values.map(\.changedAt).min().map { t - $0 })
    }
}
