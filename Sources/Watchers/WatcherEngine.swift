import Glibc

/// The hub's state machine. It lives on the hub's one thread (see ``WatchHub``): every method except `init`
/// runs there, which is why it is `@unchecked Sendable` and has no locks of its own. It talks to other threads
/// only through ``HubCore`` (commands, hub status, wake pipe), and through each subscription's
/// ``EventChannel`` and ``StatusBoard``.
///
/// Roots are keyed by an id and owned by a subscription. A directory watched by several roots (of one or of
/// several subscriptions) has one kernel watch, with one owner entry per root; each root keeps the set of
/// watch descriptors it owns, so adding or removing a subscription costs work in proportion to its own
/// directories.
///
/// The rest of the engine is in `WatcherEngine+Roots.swift` (root life cycle, periodic checks),
/// `WatcherEngine+Events.swift` (inotify events, overflow) and `WatcherEngine+Watches.swift` (watch
/// bookkeeping).
final class WatcherEngine: @unchecked Sendable {
    typealias RootID = Int
    typealias SubscriptionID = Int

    // MARK: - Types

    struct RootRuntime {
        enum Phase {
            case starting
            /// Root missing; `ancestor` is the watch on its nearest existing ancestor, if inotify can be used.
            case waiting(ancestor: Int32?)
            case inotify(DirectoryIdentity)
            case polling(PollingSnapshot, DirectoryIdentity)
        }

        let path: String
        let depth: Int
        let subscription: SubscriptionID
        let mode: WatchMode
        let followSymlinks: Bool
        var phase: Phase = .starting
        /// Why the root is polled (or waits by `stat` only).
        var reason: String?
        /// Set when inotify ran out of watches for this root: it stays polled until it is subscribed again.
        var stickyPollingReason: String?
        /// The tree watches this root holds a reference on.
        var watched: Set<Int32> = []
        var nextCheck: ContinuousClock.Instant
    }

    struct SubscriptionRuntime {
        let channel: EventChannel
        let statusBoard: StatusBoard
        let roots: [RootID]
        var outbox: [WatchEvent] = []
        var statusDirty = true
    }

    /// How one root sees a watched directory.
    struct WatchOwner {
        /// Level of the directory below the root (0 = the root itself).
        var level: Int
        /// The directory's path under that root (several paths can lead to one inode: symbolic links, bind
        /// mounts), so that each root's events carry paths under that root.
        var path: String
    }

    /// One inotify watch (the kernel merges watches on the same inode into one descriptor), shared by every
    /// root that reaches the directory: the owners are its reference count.
    struct WatchedDirectory {
        /// Roots whose tree contains this directory.
        var owners: [RootID: WatchOwner] = [:]
        /// Roots that do not exist yet and wait on this directory, their nearest existing ancestor, with the
        /// ancestor's path as that root sees it.
        var waiting: [RootID: String] = [:]

        /// The owners in root order (deterministic event order, and "first root of a subscription wins").
        var sortedOwners: [(root: RootID, owner: WatchOwner)] {
            if owners.count == 1, let only = owners.first { return [(only.key, only.value)] }
            return owners.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
    }

    /// A directory as seen by one root: for events that several roots share.
    struct Target {
        var root: RootID
        var level: Int
        var path: String
    }

    enum Announce {
        case none, closed, movedIn
    }

    enum AttachOutcome {
        case attached
        case missing
        case fallBack(String)
    }

    enum WatchFailure: Error {
        /// Out of watches (kernel limit or configured budget): the root must be polled.
        case limit(String)
        /// Any other errno: usually the directory is gone (`ENOENT`, `ENOTDIR`), or it is unreadable.
        case failed(InotifyError)
    }

    // MARK: - Member variables

    let core: HubCore
    let clock = ContinuousClock()
    /// The origin of the check grid (see `aligned(_:)`).
    let gridOrigin = ContinuousClock.now
    let interval: Duration
    let maximumWatches: Int?
    let watchLimit: Int?
    let threadName: String

    var inotify: InotifyDescriptor?
    var inotifyUnavailableReason: String
    var roots: [RootID: RootRuntime] = [:]
    var subscriptions: [SubscriptionID: SubscriptionRuntime] = [:]
    var watches: [Int32: WatchedDirectory] = [:]
    var schedule = CheckSchedule()
    /// Subscriptions with events or a status change to publish at the next `flush()`.
    var touched: Set<SubscriptionID> = []
    var hubStatusDirty = true
    var queueOverflows = 0
    var subscriberOverflows = 0
    var nextRootID: RootID = 0

    // MARK: - Initialization

    init(
        core: HubCore, inotify: InotifyDescriptor?, inotifyUnavailableReason: String, watchLimit: Int?,
        threadName: String
    ) {
        self.core = core
        self.inotify = inotify
        self.inotifyUnavailableReason = inotifyUnavailableReason
        self.interval = max(core.configuration.pollInterval, .milliseconds(1))
        self.maximumWatches = core.configuration.maximumWatches
        self.watchLimit = watchLimit
        self.threadName = threadName
    }

    static func unavailableReason(_ error: InotifyError) -> String {
        error.isLimit ? "inotify instance limit reached (\(error.name))" : "inotify unavailable (\(error.name))"
    }

    /// `fs.inotify.max_user_watches`, or `nil` if it cannot be read.
    static func kernelWatchLimit() -> Int? {
        let descriptor = open("/proc/sys/fs/inotify/max_user_watches", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[0..<count].prefix { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self))
    }

    // MARK: - Thread main loop

    /// Runs until the hub shuts down; closes the inotify descriptor (dropping all watches) on return.
    func run() {
        nameThread()
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer {
            buffer.deallocate()
            shutDown()
        }
        let wake = core.wake
        while true {
            let (commands, isShutDown, paused) = core.takeCommands()
            if isShutDown { return }
            for command in commands { apply(command) }
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

    /// Names the OS thread (`/proc/self/task/*/comm`, as `top -H` shows it; Foundation does not on Linux).
    private func nameThread() {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        let name = Array(threadName.utf8.prefix(15))
        _ = name.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    private func shutDown() {
        inotify = nil
        for subscription in subscriptions.values { subscription.channel.finish() }
        subscriptions = [:]
        roots = [:]
        watches = [:]
        schedule.removeAll()
        touched = []
        core.publish(
            WatchHubStatus(
                inotifyAvailable: false, inotifyReason: "hub shut down", subscriptions: 0, watches: 0,
                watchLimit: watchLimit, polledRoots: 0, queueOverflows: queueOverflows,
                subscriberOverflows: subscriberOverflows))
        core.markThreadExited()
    }

    private func millisecondsUntilNextCheck() -> Int32 {
        while let first = schedule.first, roots[first.root]?.nextCheck != first.instant {
            schedule.popFirst()  // stale: rescheduled or removed
        }
        guard let next = schedule.first?.instant else { return -1 }
        let remaining = clock.now.duration(to: next)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: milliseconds)
    }

    /// Reads until the kernel queue is empty (`EAGAIN`), at most 16 buffers at a time so that commands and
    /// periodic checks get their turn during a flood. It never waits for a consumer.
    private func drainInotify(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let inotify else { return }
        var reads = 0
        while reads < 16 {
            let count = read(inotify.descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            if count == 0 { return }
            reads += 1
            InotifyEvent.parse(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) { event in
                handle(event)
            }
            flush()
        }
    }

    // MARK: - Commands

    private func apply(_ command: HubCommand) {
        switch command {
        case .add(let id, let rootList, let options, let channel, let statusBoard):
            addSubscription(id, roots: rootList, options: options, channel: channel, statusBoard: statusBoard)
        case .remove(let id):
            removeSubscription(id)
        }
    }

    private func addSubscription(
        _ id: SubscriptionID, roots rootList: [WatchRoot], options: SubscriptionOptions, channel: EventChannel,
        statusBoard: StatusBoard
    ) {
        if options.mode != .polling && inotify == nil { reopenInotify() }
        let now = clock.now
        var ids: [RootID] = []
        for root in rootList {
            let rootID = nextRootID
            nextRootID += 1
            roots[rootID] = RootRuntime(
                path: root.path, depth: root.depth, subscription: id, mode: options.mode,
                followSymlinks: options.followSymlinks, nextCheck: now)
            ids.append(rootID)
        }
        subscriptions[id] = SubscriptionRuntime(channel: channel, statusBoard: statusBoard, roots: ids)
        touched.insert(id)
        hubStatusDirty = true
        for rootID in ids { startRoot(rootID, appearing: false) }
    }

    /// Releases the subscription's share of every watch: O(its own directories).
    private func removeSubscription(_ id: SubscriptionID) {
        guard let subscription = subscriptions[id] else { return }
        for rootID in subscription.roots {
            detachAll(rootID)
            roots[rootID] = nil
        }
        subscriptions[id] = nil
        touched.remove(id)
        hubStatusDirty = true
        subscription.channel.finish()
    }

    /// A hub whose inotify instance could not be opened tries again when a subscription needs it.
    private func reopenInotify() {
        switch InotifyDescriptor.open() {
        case .success(let descriptor):
            inotify = descriptor
            hubStatusDirty = true
        case .failure(let error):
            inotifyUnavailableReason = Self.unavailableReason(error)
        }
    }

    // MARK: - Output

    /// Queues an event for the subscription that owns `root`.
    func emit(_ event: WatchEvent, to root: RootID) {
        guard let subscription = roots[root]?.subscription else { return }
        emit(event, toSubscription: subscription)
    }

    func emit(_ event: WatchEvent, toSubscription subscription: SubscriptionID) {
        subscriptions[subscription]?.outbox.append(event)
        touched.insert(subscription)
    }

    /// Sends one event per subscription among `targets`, under the path of its first root: overlapping roots
    /// of one subscription announce once, each subscription gets its own copy.
    func emitOnce(_ targets: [Target], _ event: (String) -> WatchEvent) {
        if targets.count == 1 {
            emit(event(targets[0].path), to: targets[0].root)
            return
        }
        var seen: Set<SubscriptionID> = []
        for target in targets {
            guard let subscription = roots[target.root]?.subscription, seen.insert(subscription).inserted else {
                continue
            }
            emit(event(target.path), toSubscription: subscription)
        }
    }

    /// The root's status changed: republish its subscription's status (and the hub's).
    func markDirty(_ root: RootID) {
        hubStatusDirty = true
        guard let subscription = roots[root]?.subscription else { return }
        subscriptions[subscription]?.statusDirty = true
        touched.insert(subscription)
    }

    /// Publishes the statuses (each touched subscription's, then the hub's) before the events, so a consumer
    /// reacting to an event already sees the state behind it; the hub status again if a subscriber fell behind.
    func flush() {
        guard !touched.isEmpty || hubStatusDirty else { return }
        for id in touched {
            guard let subscription = subscriptions[id], subscription.statusDirty else { continue }
            subscriptions[id]!.statusDirty = false
            subscription.statusBoard.publish(subscription.roots.map { status(of: roots[$0]!) })
        }
        publishHubStatusIfDirty()
        for id in touched {
            guard let subscription = subscriptions[id], !subscription.outbox.isEmpty else { continue }
            subscriptions[id]!.outbox = []
            let drops = subscription.channel.send(subscription.outbox)
            if drops > 0 {
                subscriberOverflows += drops
                hubStatusDirty = true
            }
        }
        touched.removeAll(keepingCapacity: true)
        publishHubStatusIfDirty()
    }

    private func publishHubStatusIfDirty() {
        guard hubStatusDirty else { return }
        hubStatusDirty = false
        core.publish(hubStatus())
    }

    private func hubStatus() -> WatchHubStatus {
        let polled = roots.values.count { if case .polling = $0.phase { true } else { false } }
        return WatchHubStatus(
            inotifyAvailable: inotify != nil, inotifyReason: inotify == nil ? inotifyUnavailableReason : nil,
            subscriptions: subscriptions.count, watches: watches.count, watchLimit: watchLimit,
            polledRoots: polled, queueOverflows: queueOverflows, subscriberOverflows: subscriberOverflows)
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
                root: root.path, mode: .inotify, reason: nil, watchedDirectories: root.watched.count, state: .active)
        case .polling:
            return RootStatus(
                root: root.path, mode: .polling, reason: root.reason, watchedDirectories: 0, state: .active)
        }
    }
}
