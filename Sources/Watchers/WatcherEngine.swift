import Glibc
import Synchronization

/// The watcher's state machine. It lives on one dedicated thread (see ``DirectoryWatcher``): every method
/// except `init` runs there, which is why it is `@unchecked Sendable` and has no locks of its own. It talks to
/// other threads only through ``EventChannel``, ``StatusBoard`` and ``WakePipe``.
final class WatcherEngine: @unchecked Sendable {
    // MARK: - Types

    private struct RootRuntime {
        enum Phase {
            case starting
            /// Root missing; `ancestor` is the watch on its nearest existing ancestor, if inotify can be used.
            case waiting(ancestor: Int32?)
            case inotify(DirectoryIdentity)
            case polling(PollingSnapshot, DirectoryIdentity)
        }

        let path: String
        let depth: Int
        var phase: Phase = .starting
        /// Why the root is polled (or waits by `stat` only).
        var reason: String?
        /// Set when inotify ran out of watches for this root: it stays polled until the watcher is recreated.
        var stickyPollingReason: String?
        var watchCount = 0
        var nextCheck: ContinuousClock.Instant
    }

    /// One inotify watch (the kernel merges watches on the same inode into one descriptor).
    private struct WatchedDirectory {
        var path: String
        /// Root index → level of this directory below that root (tree watches).
        var levels: [Int: Int] = [:]
        /// Roots that do not exist yet and wait on this directory, their nearest existing ancestor.
        var waiting: Set<Int> = []
    }

    private enum Announce {
        case none, closed, movedIn
    }

    private enum AttachOutcome {
        case attached
        case missing
        case fallBack(String)
    }

    private enum WatchFailure: Error {
        /// Out of watches (kernel limit or configured budget): the root must be polled.
        case limit(String)
        /// Any other errno: usually the directory is gone (`ENOENT`, `ENOTDIR`), or it is unreadable.
        case failed(InotifyError)
    }

    // MARK: - Member variables

    private let configuration: WatcherConfiguration
    private let channel: EventChannel
    private let statusBoard: StatusBoard
    private let wake: WakePipe
    private let clock = ContinuousClock()

    private var inotify: InotifyDescriptor?
    private var inotifyUnavailableReason = "inotify not opened"
    private var roots: [RootRuntime]
    private var watches: [Int32: WatchedDirectory] = [:]
    private var watchByPath: [String: Int32] = [:]
    private var outbox: [WatchEvent] = []
    private var statusDirty = true

    // MARK: - Initialization

    init(
        roots: [WatchRoot], configuration: WatcherConfiguration, channel: EventChannel, statusBoard: StatusBoard,
        wake: WakePipe
    ) {
        self.configuration = configuration
        self.channel = channel
        self.statusBoard = statusBoard
        self.wake = wake
        let now = ContinuousClock.now
        self.roots = roots.map { RootRuntime(path: $0.path, depth: $0.depth, nextCheck: now) }
    }

    private var interval: Duration {
        max(configuration.pollInterval, .milliseconds(1))
    }

    // MARK: - Thread main loop

    /// Runs until the channel is terminated; closes the inotify descriptor (dropping all watches) on return.
    func run() {
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer {
            buffer.deallocate()
            inotify = nil
            watches = [:]
            watchByPath = [:]
            channel.finish()
        }
        if configuration.mode != .polling {
            switch InotifyDescriptor.open() {
            case .success(let descriptor):
                inotify = descriptor
            case .failure(let error):
                inotifyUnavailableReason =
                    error.isLimit
                    ? "inotify instance limit reached (\(error.name))" : "inotify unavailable (\(error.name))"
            }
        }
        for index in roots.indices {
            startRoot(index, appearing: false)
        }
        flush()

        while !channel.isTerminated {
            let paused = channel.shouldPause()
            var timeout: Int32 = -1
            if !paused {
                runDueChecks()
                flush()
                timeout = millisecondsUntilNextCheck()
            }
            if !wake.isValid { timeout = timeout < 0 ? 50 : min(timeout, 50) }

            var descriptors: [pollfd] = []
            if wake.isValid {
                descriptors.append(pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0))
            }
            let inotifyIndex = descriptors.count
            if !paused, let inotify {
                descriptors.append(pollfd(fd: inotify.descriptor, events: Int16(POLLIN), revents: 0))
            }
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 && errno != EINTR {
                // Cannot happen with valid descriptors; avoid a busy loop if it does.
                usleep(10_000)
                continue
            }
            if wake.isValid && descriptors[0].revents != 0 { wake.drain() }
            if inotifyIndex < descriptors.count && descriptors[inotifyIndex].revents != 0 {
                drainInotify(buffer)
            }
            flush()
        }
    }

    private func millisecondsUntilNextCheck() -> Int32 {
        guard
            let next = roots.lazy.filter({ if case .starting = $0.phase { false } else { true } })
                .map(\.nextCheck).min()
        else { return -1 }
        let remaining = clock.now.duration(to: next)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: milliseconds)
    }

    /// Reads until the kernel queue is empty (`EAGAIN`) or the consumer is too far behind.
    private func drainInotify(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let inotify else { return }
        while true {
            let count = read(inotify.descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            if count == 0 { return }
            InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) { event in
                handle(event)
            }
            flush()
            if channel.isTerminated || channel.shouldPause() { return }
        }
    }

    /// Publishes the status first, so a consumer reacting to an event already sees the state behind it.
    private func flush() {
        if statusDirty {
            statusDirty = false
            statusBoard.publish(roots.map(status(of:)))
        }
        if !outbox.isEmpty {
            channel.send(outbox)
            outbox.removeAll(keepingCapacity: true)
        }
    }

    private func status(of root: RootRuntime) -> RootStatus {
        switch root.phase {
        case .starting:
            return RootStatus(root: root.path, mode: .automatic, reason: nil, watchedDirectories: 0, state: .starting)
        case .waiting(let ancestor):
            return RootStatus(
                root: root.path, mode: ancestor == nil ? .polling : .inotify, reason: root.reason,
                watchedDirectories: 0, state: .waitingForRoot)
        case .inotify:
            return RootStatus(
                root: root.path, mode: .inotify, reason: nil, watchedDirectories: root.watchCount, state: .active)
        case .polling:
            return RootStatus(
                root: root.path, mode: .polling, reason: root.reason, watchedDirectories: 0, state: .active)
        }
    }

    // MARK: - Root life cycle

    /// Starts watching a root that may exist. `appearing`: it came (back) after the watcher started, so its
    /// content is announced; otherwise a start-up `rescanNeeded` tells the consumer to scan.
    private func startRoot(_ index: Int, appearing: Bool) {
        statusDirty = true
        roots[index].nextCheck = clock.now + interval
        let path = roots[index].path
        guard let info = DirectoryReader.directoryInfo(path) else {
            waitForRoot(index)
            return
        }
        let identity = DirectoryIdentity(info)
        if appearing { outbox.append(.rootAppeared(path)) }
        if let reason = initialPollingReason(index) {
            startPolling(index, identity: identity, reason: reason, announce: appearing)
        } else {
            roots[index].phase = .inotify(identity)
            roots[index].reason = nil
            var live = Set<Int32>()
            let outcome = attachTree(
                index, at: path, level: 0, announce: appearing ? .closed : .none, traverseKnown: false, live: &live)
            switch outcome {
            case .attached:
                break
            case .missing:
                detachAll(index)
                if appearing { outbox.append(.rootGone(path)) }
                waitForRoot(index)
                return
            case .fallBack(let reason):
                detachAll(index)
                roots[index].stickyPollingReason = reason
                startPolling(index, identity: identity, reason: reason, announce: appearing)
            }
        }
        if !appearing {
            outbox.append(.rescanNeeded(root: path, reason: "initial scan (watches are in place)"))
        }
    }

    private func initialPollingReason(_ index: Int) -> String? {
        if let sticky = roots[index].stickyPollingReason { return sticky }
        switch configuration.mode {
        case .polling:
            return "forced by configuration"
        case .inotify:
            return inotify == nil ? inotifyUnavailableReason : nil
        case .automatic:
            if inotify == nil { return inotifyUnavailableReason }
            if let type = FileSystemKind.magic(path: roots[index].path), FileSystemKind.classify(type: type).isNetwork {
                return FileSystemKind.pollingReason(type: type)
            }
            return nil
        }
    }

    private func startPolling(_ index: Int, identity: DirectoryIdentity, reason: String, announce: Bool) {
        var snapshot = PollingSnapshot()
        let taken = PollingSnapshot.take(
            root: roots[index].path, depth: roots[index].depth, followSymlinks: configuration.followSymlinks)
        if announce {
            outbox.append(contentsOf: snapshot.apply(taken))
        } else {
            snapshot.baseline(taken)
        }
        roots[index].phase = .polling(snapshot, identity)
        roots[index].reason = reason
        roots[index].nextCheck = clock.now + interval
        statusDirty = true
    }

    /// Run-time switch of an inotify root to polling (watch limit hit while adding a new directory).
    private func fallBackToPolling(_ index: Int, reason: String) {
        detachAll(index)
        roots[index].stickyPollingReason = reason
        guard let identity = DirectoryIdentity.of(roots[index].path) else {
            rootLost(index)
            return
        }
        startPolling(index, identity: identity, reason: reason, announce: false)
        outbox.append(.rescanNeeded(root: roots[index].path, reason: "switched to polling: \(reason)"))
    }

    /// The root was deleted, moved, unmounted or replaced: report it, drop its watches, restart or wait.
    private func rootLost(_ index: Int) {
        switch roots[index].phase {
        case .inotify, .polling:
            break
        case .starting, .waiting:
            return
        }
        detachAll(index)
        roots[index].phase = .waiting(ancestor: nil)
        outbox.append(.rootGone(roots[index].path))
        startRoot(index, appearing: true)
    }

    private func waitForRoot(_ index: Int) {
        releaseAncestor(index)
        roots[index].phase = .waiting(ancestor: nil)
        roots[index].nextCheck = clock.now + interval
        statusDirty = true
        recheckWaiting(index)
    }

    /// A waiting root: start it if it exists now, else keep (or move) the watch on its nearest existing ancestor.
    /// Loops because a directory can be created between finding the ancestor and watching it.
    private func recheckWaiting(_ index: Int) {
        for _ in 0..<32 {
            guard case .waiting(let currentAncestor) = roots[index].phase else { return }
            let path = roots[index].path
            var candidate = path
            while DirectoryReader.directoryInfo(candidate) == nil, let parent = PathUtilities.parent(candidate) {
                candidate = parent
            }
            if candidate == path {
                releaseAncestor(index)
                startRoot(index, appearing: true)
                return
            }
            guard let reason = waitReason(ancestor: candidate) else {
                if let currentAncestor, watches[currentAncestor]?.path == candidate { return }
                releaseAncestor(index)
                attachAncestor(index, at: candidate)
                if case .waiting(nil) = roots[index].phase { return }  // could not watch: the timer checks
                continue  // check again now that the watch exists
            }
            releaseAncestor(index)
            roots[index].reason = reason
            return
        }
    }

    /// `nil` if an inotify watch can wait on `ancestor`, else why the root is waited for by `stat` only.
    private func waitReason(ancestor: String) -> String? {
        if configuration.mode == .polling { return "forced by configuration" }
        if inotify == nil { return inotifyUnavailableReason }
        if configuration.mode == .automatic, let type = FileSystemKind.magic(path: ancestor),
            FileSystemKind.classify(type: type).isNetwork
        {
            return FileSystemKind.pollingReason(type: type, at: ancestor)
        }
        return nil
    }

    private func attachAncestor(_ index: Int, at path: String) {
        guard let inotify else { return }
        let hasTreeOwners = watchByPath[path].flatMap { watches[$0] }.map { !$0.levels.isEmpty } ?? false
        switch inotify.addWatch(path, mask: hasTreeOwners ? InotifyFlag.treeMask : InotifyFlag.ancestorMask) {
        case .success(let descriptor):
            var watch = watches[descriptor] ?? WatchedDirectory(path: path)
            if watch.path != path { rename(&watch, descriptor, to: path) }
            watch.waiting.insert(index)
            watches[descriptor] = watch
            watchByPath[path] = descriptor
            roots[index].phase = .waiting(ancestor: descriptor)
            roots[index].reason = nil
        case .failure(let error):
            roots[index].reason = "waiting by stat: cannot watch \(path) (\(error.name))"
        }
        statusDirty = true
    }

    private func releaseAncestor(_ index: Int) {
        guard case .waiting(let ancestor?) = roots[index].phase else { return }
        roots[index].phase = .waiting(ancestor: nil)
        statusDirty = true
        guard var watch = watches[ancestor] else { return }
        watch.waiting.remove(index)
        watches[ancestor] = watch
        removeIfUnowned(ancestor)
    }

    // MARK: - Periodic checks

    private func runDueChecks() {
        let now = clock.now
        for index in roots.indices where now >= roots[index].nextCheck {
            roots[index].nextCheck = now + interval
            switch roots[index].phase {
            case .starting:
                break
            case .waiting:
                recheckWaiting(index)
            case .inotify(let identity):
                // Catches what inotify cannot see: an ancestor renamed, a remount, the root replaced.
                if DirectoryIdentity.of(roots[index].path) != identity { rootLost(index) }
            case .polling(var snapshot, let identity):
                let (path, depth) = (roots[index].path, roots[index].depth)
                guard DirectoryIdentity.of(path) == identity else {
                    rootLost(index)
                    continue
                }
                roots[index].phase = .starting  // keep `snapshot` uniquely referenced while it is mutated
                let taken = PollingSnapshot.take(
                    root: path, depth: depth, followSymlinks: configuration.followSymlinks)
                outbox.append(contentsOf: snapshot.apply(taken))
                roots[index].phase = .polling(snapshot, identity)
                roots[index].nextCheck = clock.now + interval
            }
        }
    }

    // MARK: - inotify events

    private func handle(_ event: InotifyEvent) {
        if event.has(InotifyFlag.queueOverflow) {
            handleOverflow()
            return
        }
        let descriptor = event.watchDescriptor
        guard let watch = watches[descriptor] else { return }

        if event.has(InotifyFlag.ignored) {
            forget(descriptor)
            return
        }
        if event.name.isEmpty {
            if event.has(InotifyFlag.deleteSelf) || event.has(InotifyFlag.moveSelf) || event.has(InotifyFlag.unmount) {
                for (index, level) in watch.levels where level == 0 && roots[index].path == watch.path {
                    rootLost(index)
                }
                for index in watch.waiting {
                    releaseAncestor(index)
                    recheckWaiting(index)
                }
            }
            return
        }

        let path = PathUtilities.join(watch.path, event.name)
        if !watch.waiting.isEmpty && (event.has(InotifyFlag.create) || event.has(InotifyFlag.movedTo)) {
            for index in watch.waiting where PathUtilities.isSame(roots[index].path, orBelow: path) {
                recheckWaiting(index)
            }
        }
        guard let watch = watches[descriptor], !watch.levels.isEmpty else { return }

        if event.has(InotifyFlag.isDirectory) {
            let childLevels = watch.levels.filter { index, level in level < roots[index].depth }
            guard !childLevels.isEmpty else { return }
            if event.has(InotifyFlag.create) || event.has(InotifyFlag.movedTo) {
                directoryAppeared(path, levels: childLevels, movedIn: event.has(InotifyFlag.movedTo))
            } else if event.has(InotifyFlag.delete) {
                outbox.append(.fileRemoved(path))
            } else if event.has(InotifyFlag.movedFrom) {
                outbox.append(.fileRemoved(path))
                detachSubtree(path)
            }
            return
        }

        if event.has(InotifyFlag.closeWrite) {
            outbox.append(.fileClosed(path))
        } else if event.has(InotifyFlag.movedTo) {
            var info = stat()
            guard lstat(path, &info) == 0 else {
                // Already gone again; report it anyway so a consumer tracking names stays consistent.
                outbox.append(.fileMovedIn(path))
                return
            }
            switch FileKind(mode: info.st_mode) {
            case .regular: outbox.append(.fileMovedIn(path))
            case .symlink where configuration.followSymlinks: symlinkAppeared(path, levels: watch.levels)
            default: break
            }
        } else if event.has(InotifyFlag.create) {
            guard configuration.followSymlinks else { return }
            var info = stat()
            guard lstat(path, &info) == 0, FileKind(mode: info.st_mode) == .symlink else { return }
            symlinkAppeared(path, levels: watch.levels)
        } else if event.has(InotifyFlag.delete) || event.has(InotifyFlag.movedFrom) {
            outbox.append(.fileRemoved(path))
        }
    }

    /// A followed symbolic link appeared: a link to a file counts as moved in, a link to a directory as a
    /// new directory.
    private func symlinkAppeared(_ path: String, levels: [Int: Int]) {
        var target = stat()
        guard stat(path, &target) == 0 else { return }
        switch FileKind(mode: target.st_mode) {
        case .regular:
            outbox.append(.fileMovedIn(path))
        case .directory:
            let childLevels = levels.filter { index, level in level < roots[index].depth }
            if !childLevels.isEmpty { directoryAppeared(path, levels: childLevels, movedIn: true) }
        default:
            break
        }
    }

    /// Watch first, then scan (inotify(7)): files created between the `mkdir` and the watch are found by the
    /// scan, files created after it produce events.
    private func directoryAppeared(_ path: String, levels: [Int: Int], movedIn: Bool) {
        var announce: Announce = movedIn ? .movedIn : .closed
        for (index, parentLevel) in levels.sorted(by: { $0.key < $1.key }) {
            guard case .inotify = roots[index].phase else { continue }
            var live = Set<Int32>()
            let outcome = attachTree(
                index, at: path, level: parentLevel + 1, announce: announce, announceStart: true,
                traverseKnown: false, live: &live)
            if case .fallBack(let reason) = outcome { fallBackToPolling(index, reason: reason) }
            announce = .none  // overlapping roots: announce once
        }
    }

    private func handleOverflow() {
        for index in roots.indices {
            switch roots[index].phase {
            case .inotify(let identity):
                let path = roots[index].path
                guard DirectoryIdentity.of(path) == identity else {
                    rootLost(index)
                    continue
                }
                // Events were lost: re-walk the whole tree to watch directories created meanwhile and to drop
                // watches whose IN_IGNORED may have been lost, then ask the consumer to rescan.
                var live = Set<Int32>()
                switch attachTree(index, at: path, level: 0, announce: .none, traverseKnown: true, live: &live) {
                case .attached:
                    let stale = watches.filter { $0.value.levels[index] != nil && !live.contains($0.key) }.map(\.key)
                    for descriptor in stale { detach(index, from: descriptor) }
                    outbox.append(.rescanNeeded(root: path, reason: "inotify event queue overflow (IN_Q_OVERFLOW)"))
                case .missing:
                    rootLost(index)
                case .fallBack(let reason):
                    fallBackToPolling(index, reason: reason)
                }
            case .waiting:
                recheckWaiting(index)
            case .starting, .polling:
                break
            }
        }
    }

    // MARK: - Watch bookkeeping

    /// Watches `start` and, depth permitting, every directory below it; each directory is listed right after
    /// its watch is added. Already-watched directories are skipped unless `traverseKnown` (overflow resync).
    private func attachTree(
        _ index: Int, at start: String, level startLevel: Int, announce: Announce, announceStart: Bool = false,
        traverseKnown: Bool, live: inout Set<Int32>
    ) -> AttachOutcome {
        let depth = roots[index].depth
        let follow = configuration.followSymlinks
        let checkMounts = configuration.mode == .automatic
        var stack: [(path: String, level: Int, parentDevice: UInt64?)] = [(start, startLevel, nil)]
        var isStart = true
        while let (directory, level, parentDevice) = stack.popLast() {
            defer { isStart = false }
            var mask = InotifyFlag.treeMask
            if level > 0 && !follow { mask |= InotifyFlag.dontFollow }
            let descriptor: Int32
            let isNew: Bool
            switch addWatch(index, at: directory, level: level, mask: mask) {
            case .failure(.limit(let reason)):
                return .fallBack(reason)
            case .failure(.failed(let error)):
                guard isStart else { continue }  // a vanished or unreadable subdirectory is skipped
                if startLevel > 0 || DirectoryReader.directoryInfo(directory) == nil { return .missing }
                // The root exists but cannot be watched (EACCES, ...): poll it rather than flap between
                // rootGone and rootAppeared.
                return .fallBack("cannot watch \(directory) (\(error.name))")
            case .success(let result):
                (descriptor, isNew) = result
            }
            guard live.insert(descriptor).inserted else { continue }  // cycle through followed links
            if !isNew && !traverseKnown { continue }
            if isNew && announce != .none && (!isStart || announceStart) {
                outbox.append(.directoryCreated(directory))
            }
            var device: UInt64?
            var mountReason: String?
            let announceFiles = isNew ? announce : .none
            DirectoryReader.list(
                directory, followSymlinks: follow, statFiles: false,
                directoryInfo: { info in
                    device = UInt64(info.st_dev)
                    if checkMounts, let parentDevice, parentDevice != device,
                        let type = FileSystemKind.magic(path: directory), FileSystemKind.classify(type: type).isNetwork
                    {
                        mountReason = FileSystemKind.pollingReason(type: type, at: directory)
                    }
                }
            ) { entry in
                guard mountReason == nil else { return }
                switch entry.kind {
                case .file:
                    let path = PathUtilities.join(directory, entry.name)
                    switch announceFiles {
                    case .none: break
                    case .closed: outbox.append(.fileClosed(path))
                    case .movedIn: outbox.append(.fileMovedIn(path))
                    }
                case .directory:
                    if level < depth { stack.append((PathUtilities.join(directory, entry.name), level + 1, device)) }
                case .skipped:
                    break
                }
            }
            if let mountReason { return .fallBack(mountReason) }
        }
        return .attached
    }

    /// Adds (or re-adds) a tree watch for `index`; `isNew` is false when the root already owned it at this or a
    /// shallower level.
    private func addWatch(
        _ index: Int, at path: String, level: Int, mask: UInt32
    ) -> Result<(Int32, isNew: Bool), WatchFailure> {
        guard let inotify else { return .failure(.limit(inotifyUnavailableReason)) }
        let descriptor: Int32
        switch inotify.addWatch(path, mask: mask) {
        case .success(let value):
            descriptor = value
        case .failure(let error):
            return .failure(error.isLimit ? .limit("inotify watch limit reached (\(error.name))") : .failed(error))
        }
        statusDirty = true
        if var watch = watches[descriptor] {
            if watch.path != path { rename(&watch, descriptor, to: path) }
            if let existing = watch.levels[index], existing <= level {
                watches[descriptor] = watch
                return .success((descriptor, false))
            }
            if watch.levels[index] == nil { roots[index].watchCount += 1 }
            watch.levels[index] = level
            watches[descriptor] = watch
            return .success((descriptor, true))
        }
        if let budget = configuration.maximumWatches, watches.count >= budget {
            inotify.removeWatch(descriptor)
            return .failure(.limit("watch budget of \(budget) directories reached"))
        }
        watches[descriptor] = WatchedDirectory(path: path, levels: [index: level])
        watchByPath[path] = descriptor
        roots[index].watchCount += 1
        return .success((descriptor, true))
    }

    private func rename(_ watch: inout WatchedDirectory, _ descriptor: Int32, to path: String) {
        if watchByPath[watch.path] == descriptor { watchByPath[watch.path] = nil }
        watch.path = path
        watchByPath[path] = descriptor
    }

    /// Drops a root's ownership of one watch, removing the kernel watch when nobody else uses it.
    private func detach(_ index: Int, from descriptor: Int32) {
        guard var watch = watches[descriptor], watch.levels.removeValue(forKey: index) != nil else { return }
        roots[index].watchCount -= 1
        watches[descriptor] = watch
        statusDirty = true
        removeIfUnowned(descriptor)
    }

    private func detachAll(_ index: Int) {
        releaseAncestor(index)
        for descriptor in watches.filter({ $0.value.levels[index] != nil }).map(\.key) {
            detach(index, from: descriptor)
        }
        roots[index].watchCount = 0
    }

    /// A directory moved out (or away inside the tree): its watches would keep reporting under the old path.
    private func detachSubtree(_ path: String) {
        var lostRoots: Set<Int> = []
        var movedAncestors: Set<Int> = []
        for (descriptor, watch) in watches where PathUtilities.isSame(watch.path, orBelow: path) {
            for index in watch.levels.keys {
                if PathUtilities.isSame(roots[index].path, orBelow: path) {
                    lostRoots.insert(index)
                } else {
                    detach(index, from: descriptor)
                }
            }
            movedAncestors.formUnion(watch.waiting)  // waiting roots whose ancestor watch moved away
        }
        for index in lostRoots.sorted() { rootLost(index) }
        for index in movedAncestors.sorted() {
            releaseAncestor(index)
            recheckWaiting(index)
        }
    }

    private func removeIfUnowned(_ descriptor: Int32) {
        guard let watch = watches[descriptor], watch.levels.isEmpty, watch.waiting.isEmpty else { return }
        inotify?.removeWatch(descriptor)
        watches[descriptor] = nil
        if watchByPath[watch.path] == descriptor { watchByPath[watch.path] = nil }
    }

    /// The kernel dropped the watch (`IN_IGNORED`: directory deleted, unmounted, or removed by us).
    private func forget(_ descriptor: Int32) {
        guard let watch = watches.removeValue(forKey: descriptor) else { return }
        if watchByPath[watch.path] == descriptor { watchByPath[watch.path] = nil }
        statusDirty = true
        for (index, level) in watch.levels {
            roots[index].watchCount -= 1
            if level == 0 && roots[index].path == watch.path { rootLost(index) }
        }
        // A subdirectory whose watch vanished but whose path is still a directory was a mount point that got
        // unmounted (a deleted directory is gone, and a re-created one also arrives as IN_CREATE): watch and
        // scan what is underneath.
        let survivors = watch.levels.filter { index, level in
            guard level > 0, case .inotify = roots[index].phase else { return false }
            return true
        }
        if !survivors.isEmpty, DirectoryReader.directoryInfo(watch.path) != nil {
            directoryAppeared(watch.path, levels: survivors.mapValues { $0 - 1 }, movedIn: false)
        }
        for index in watch.waiting {
            if case .waiting(descriptor) = roots[index].phase {
                roots[index].phase = .waiting(ancestor: nil)
                recheckWaiting(index)
            }
        }
    }
}

/// The latest ``RootStatus`` list, published by the watcher thread.
final class StatusBoard: Sendable {
    private let statuses: Mutex<[RootStatus]>

    init(_ initial: [RootStatus]) {
        statuses = Mutex(initial)
    }

    func publish(_ value: [RootStatus]) {
        statuses.withLock { $0 = value }
    }

    var current: [RootStatus] { statuses.withLock { $0 } }
}
