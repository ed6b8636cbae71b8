import Glibc

/// Root life cycle (start, wait, lose, poll) and the periodic checks.
extension WatcherEngine {
    // MARK: - Root life cycle

    /// Starts watching a root that may exist. `appearing`: it came (back) after it was subscribed, so its
    /// content is announced; otherwise a start-up `rescanNeeded` tells the consumer to scan.
    func startRoot(_ id: RootID, appearing: Bool) {
        markDirty(id)
        scheduleCheck(id, at: clock.now + interval)
        let path = roots[id]!.path
        guard let info = DirectoryReader.directoryInfo(path) else {
            waitForRoot(id)
            return
        }
        let identity = DirectoryIdentity(info)
        if appearing { emit(.rootAppeared(path), to: id) }
        if let reason = initialPollingReason(id) {
            startPolling(id, identity: identity, reason: reason, announce: appearing)
        } else {
            roots[id]!.phase = .inotify(identity)
            roots[id]!.reason = nil
            var live = Set<Int32>()
            let outcome = attachTree(
                id, at: path, level: 0, announce: appearing ? .closed : .none, traverseKnown: false, live: &live)
            switch outcome {
            case .attached:
                break
            case .missing:
                detachAll(id)
                if appearing { emit(.rootGone(path), to: id) }
                waitForRoot(id)
                return
            case .fallBack(let reason):
                detachAll(id)
                roots[id]!.stickyPollingReason = reason
                startPolling(id, identity: identity, reason: reason, announce: appearing)
            }
        }
        if !appearing {
            emit(.rescanNeeded(root: path, reason: "initial scan (watches are in place)"), to: id)
        }
    }

    private func initialPollingReason(_ id: RootID) -> String? {
        if let sticky = roots[id]!.stickyPollingReason { return sticky }
        switch roots[id]!.mode {
        case .polling:
            return "forced by configuration"
        case .inotify:
            return inotify == nil ? inotifyUnavailableReason : nil
        case .automatic:
            if let type = FileSystemKind.magic(path: roots[id]!.path), FileSystemKind.classify(type: type).isNetwork {
                return FileSystemKind.pollingReason(type: type)
            }
            return inotify == nil ? inotifyUnavailableReason : nil
        }
    }

    func startPolling(_ id: RootID, identity: DirectoryIdentity, reason: String, announce: Bool) {
        var snapshot = PollingSnapshot()
        let taken = PollingSnapshot.take(
            root: roots[id]!.path, depth: roots[id]!.depth, followSymlinks: roots[id]!.followSymlinks)
        if announce {
            for event in snapshot.apply(taken) { emit(event, to: id) }
        } else {
            snapshot.baseline(taken)
        }
        roots[id]!.phase = .polling(snapshot, identity)
        roots[id]!.reason = reason
        scheduleCheck(id, at: clock.now + interval)
        markDirty(id)
    }

    /// Run-time switch of an inotify root to polling (watch limit hit while adding a new directory).
    func fallBackToPolling(_ id: RootID, reason: String) {
        detachAll(id)
        roots[id]!.stickyPollingReason = reason
        let path = roots[id]!.path
        guard let identity = DirectoryIdentity.of(path) else {
            rootLost(id)
            return
        }
        startPolling(id, identity: identity, reason: reason, announce: false)
        emit(.rescanNeeded(root: path, reason: "switched to polling: \(reason)"), to: id)
    }

    /// The root was deleted, moved, unmounted or replaced: report it, drop its watches, restart or wait.
    func rootLost(_ id: RootID) {
        switch roots[id]?.phase {
        case .inotify?, .polling?:
            break
        case .starting?, .waiting?, nil:
            return
        }
        detachAll(id)
        roots[id]!.phase = .waiting(ancestor: nil)
        emit(.rootGone(roots[id]!.path), to: id)
        startRoot(id, appearing: true)
    }

    private func waitForRoot(_ id: RootID) {
        releaseAncestor(id)
        roots[id]!.phase = .waiting(ancestor: nil)
        scheduleCheck(id, at: clock.now + interval)
        markDirty(id)
        recheckWaiting(id)
    }

    /// A waiting root: start it if it exists now, else keep (or move) the watch on its nearest existing
    /// ancestor. Loops because a directory can be created between finding the ancestor and watching it.
    func recheckWaiting(_ id: RootID) {
        for _ in 0..<32 {
            guard case .waiting(let currentAncestor)? = roots[id]?.phase else { return }
            let path = roots[id]!.path
            var candidate = path
            while DirectoryReader.directoryInfo(candidate) == nil, let parent = PathUtilities.parent(candidate) {
                candidate = parent
            }
            if candidate == path {
                releaseAncestor(id)
                startRoot(id, appearing: true)
                return
            }
            guard let reason = waitReason(id, ancestor: candidate) else {
                if let currentAncestor, watches[currentAncestor]?.waiting[id] == candidate { return }
                releaseAncestor(id)
                attachAncestor(id, at: candidate)
                if case .waiting(nil) = roots[id]!.phase { return }  // could not watch: the timer checks
                continue  // check again now that the watch exists
            }
            releaseAncestor(id)
            roots[id]!.reason = reason
            return
        }
    }

    /// `nil` if an inotify watch can wait on `ancestor`, else why the root is waited for by `stat` only.
    private func waitReason(_ id: RootID, ancestor: String) -> String? {
        let mode = roots[id]!.mode
        if mode == .polling { return "forced by configuration" }
        if mode == .automatic, let type = FileSystemKind.magic(path: ancestor),
            FileSystemKind.classify(type: type).isNetwork
        {
            return FileSystemKind.pollingReason(type: type, at: ancestor)
        }
        return inotify == nil ? inotifyUnavailableReason : nil
    }

    private func attachAncestor(_ id: RootID, at path: String) {
        guard let inotify else { return }
        switch inotify.addWatch(path, mask: InotifyFlag.ancestorMask) {
        case .success(let descriptor):
            watches[descriptor, default: WatchedDirectory()].waiting[id] = path
            roots[id]!.phase = .waiting(ancestor: descriptor)
            roots[id]!.reason = nil
        case .failure(let error):
            roots[id]!.reason = "waiting by stat: cannot watch \(path) (\(error.name))"
        }
        markDirty(id)
    }

    func releaseAncestor(_ id: RootID) {
        guard case .waiting(let ancestor?)? = roots[id]?.phase else { return }
        roots[id]!.phase = .waiting(ancestor: nil)
        markDirty(id)
        guard watches[ancestor] != nil else { return }
        watches[ancestor]!.waiting[id] = nil
        removeIfUnowned(ancestor)
    }

    // MARK: - Periodic checks

    func scheduleCheck(_ id: RootID, at instant: ContinuousClock.Instant) {
        let aligned = aligned(instant)
        roots[id]!.nextCheck = aligned
        schedule.push(aligned, root: id)
    }

    /// `instant` rounded up to the check grid (a tenth of the interval, at most 100 ms), so that the checks of many
    /// roots that fall due close together run in one wake-up of the thread: 1,000 roots checked every 2 s cost
    /// about 20 wake-ups a second instead of 500.
    func aligned(_ instant: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let grid = min(interval / 10, .milliseconds(100))
        guard grid > .zero else { return instant }
        let offset = gridOrigin.duration(to: instant)
        let steps = (offset / grid).rounded(.up)
        return gridOrigin + grid * Int64(steps)
    }

    /// Runs the checks that are due, taking them from the schedule (not by scanning every root).
    func runDueChecks() {
        let now = clock.now
        while let entry = schedule.first, entry.instant <= now {
            schedule.popFirst()
            let id = entry.root
            guard roots[id]?.nextCheck == entry.instant else { continue }  // stale entry
            scheduleCheck(id, at: now + interval)
            switch roots[id]!.phase {
            case .starting:
                break
            case .waiting:
                recheckWaiting(id)
            case .inotify(let identity):
                // Catches what inotify cannot see: an ancestor renamed, a remount, the root replaced.
                if DirectoryIdentity.of(roots[id]!.path) != identity { rootLost(id) }
            case .polling(var snapshot, let identity):
                let (path, depth, follow) = (roots[id]!.path, roots[id]!.depth, roots[id]!.followSymlinks)
                guard DirectoryIdentity.of(path) == identity else {
                    rootLost(id)
                    continue
                }
                roots[id]!.phase = .starting  // keep `snapshot` uniquely referenced while it is mutated
                let taken = PollingSnapshot.take(root: path, depth: depth, followSymlinks: follow)
                for event in snapshot.apply(taken) { emit(event, to: id) }
                roots[id]!.phase = .polling(snapshot, identity)
                scheduleCheck(id, at: clock.now + interval)
            }
        }
    }
}
