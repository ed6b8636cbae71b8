import Foundation
import Watchers

/// What the file triggers of one server share: the watch hub (one inotify instance and one thread for every root
/// of every trigger) and one thread for blocking file work (scans, stats, writer probes), so that no trigger
/// blocks the Swift concurrency pool and the thread count does not grow with the number of triggers.
public final class FileWatching: Sendable {
    /// The server's watch hub.
    public let hub: WatchHub
    /// The thread that scans directories and inspects files.
    public let worker: BlockingWorker

    /// Creates (and starts) the hub and the worker thread.
    public init(hub: WatchHub = WatchHub(), worker: BlockingWorker = BlockingWorker(name: "pegasus-em.files")) {
        self.hub = hub
        self.worker = worker
    }

    /// Stops the hub and the worker thread.
    public func shutdown() {
        hub.shutdown()
        worker.shutdown()
    }

    /// Scans roots on the worker thread and keeps the trigger's input files (matching runs there too). A caller
    /// cancelled before its scan started gets nothing and does not wait behind the queue.
    func scan(_ roots: [WatchRoot], followSymlinks: Bool, filter: FileFilter) async -> [ScannedFile] {
        await worker.runUnlessCancelled {
            roots.flatMap { scanFiles(root: $0, followSymlinks: followSymlinks) }.filter { filter.wants($0.path) }
        } ?? []
    }

    /// Inspects files on the worker thread: identity and writer check under one read lease, and the ready marker.
    func inspect(_ paths: [String], rules: ReadinessRules, followSymlinks: Bool) async -> [FileInspection] {
        await worker.run {
            paths.map { path in
                if !followSymlinks, FileStatus.of(path, follow: false)?.isSymlink != false {
                    return FileInspection(path: path, identity: nil, writer: .unavailable("not a regular file"))
                }
                let look = WriterProbe.inspect(path: path)
                let marker = rules.readyMarker.map { FileStatus.of($0.marker(for: path)) != nil } ?? true
                return FileInspection(path: path, identity: look.identity, writer: look.writer, markerPresent: marker)
            }
        }
    }

    /// The trigger's input files that exist now, as their ledger keys (for `skip_existing`): one scan of its roots
    /// on the worker thread.
    public func currentFiles(_ options: FileTriggerOptions) async -> [TriggerInput] {
        let filter = FileFilter(
            patterns: options.patterns, excludedDirectories: options.excludedDirectories,
            readyMarker: options.rules.readyMarker)
        return await scan(options.roots, followSymlinks: options.watch.followSymlinks, filter: filter)
            .map(TriggerInput.init)
    }
}
