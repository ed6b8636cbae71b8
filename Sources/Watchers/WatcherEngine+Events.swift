import Glibc

/// inotify events: each is delivered to the subscriptions whose roots own the watch, once per subscription.
extension WatcherEngine {
    func handle(_ event: InotifyEvent) {
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
                for (root, owner) in watch.sortedOwners where owner.level == 0 {
                    rootLost(root)
                }
                for root in watch.waiting.keys.sorted() {
                    releaseAncestor(root)
                    recheckWaiting(root)
                }
            }
            return
        }

        if !watch.waiting.isEmpty && (event.has(InotifyFlag.create) || event.has(InotifyFlag.movedTo)) {
            for (root, ancestor) in watch.waiting.sorted(by: { $0.key < $1.key }) {
                guard let rootPath = roots[root]?.path,
                    PathUtilities.isSame(rootPath, orBelow: PathUtilities.join(ancestor, event.name))
                else { continue }
                recheckWaiting(root)
            }
        }
        guard let current = watches[descriptor], !current.owners.isEmpty else { return }
        let targets = current.sortedOwners.map { root, owner in
            Target(root: root, level: owner.level, path: PathUtilities.join(owner.path, event.name))
        }

        if event.has(InotifyFlag.isDirectory) {
            let children = childTargets(targets)
            guard !children.isEmpty else { return }
            if event.has(InotifyFlag.create) || event.has(InotifyFlag.movedTo) {
                directoryAppeared(children, movedIn: event.has(InotifyFlag.movedTo))
            } else if event.has(InotifyFlag.delete) {
                emitOnce(children) { .fileRemoved($0) }
            } else if event.has(InotifyFlag.movedFrom) {
                emitOnce(children) { .fileRemoved($0) }
                detachSubtree(children.map(\.path))
            }
            return
        }

        if event.has(InotifyFlag.closeWrite) {
            emitOnce(targets) { .fileClosed($0) }
        } else if event.has(InotifyFlag.movedTo) {
            var info = stat()
            guard lstat(targets[0].path, &info) == 0 else {
                // Already gone again; report it anyway so a consumer tracking names stays consistent.
                emitOnce(targets) { .fileMovedIn($0) }
                return
            }
            switch FileKind(mode: info.st_mode) {
            case .regular: emitOnce(targets) { .fileMovedIn($0) }
            case .symlink: symlinkAppeared(following(targets))
            default: break
            }
        } else if event.has(InotifyFlag.create) {
            let linkTargets = following(targets)
            guard !linkTargets.isEmpty else { return }
            var info = stat()
            guard lstat(linkTargets[0].path, &info) == 0, FileKind(mode: info.st_mode) == .symlink else { return }
            symlinkAppeared(linkTargets)
        } else if event.has(InotifyFlag.delete) || event.has(InotifyFlag.movedFrom) {
            emitOnce(targets) { .fileRemoved($0) }
        }
    }

    /// The targets whose roots follow symbolic links.
    private func following(_ targets: [Target]) -> [Target] {
        targets.filter { roots[$0.root]?.followSymlinks == true }
    }

    /// For an entry of a watched directory: the roots within whose depth it lies as a directory, at its own level.
    private func childTargets(_ targets: [Target]) -> [Target] {
        targets.compactMap { target in
            guard let depth = roots[target.root]?.depth, target.level < depth else { return nil }
            return Target(root: target.root, level: target.level + 1, path: target.path)
        }
    }

    /// A followed symbolic link appeared: a link to a file counts as moved in, a link to a directory as a
    /// new directory.
    private func symlinkAppeared(_ targets: [Target]) {
        guard !targets.isEmpty else { return }
        var target = stat()
        guard stat(targets[0].path, &target) == 0 else { return }
        switch FileKind(mode: target.st_mode) {
        case .regular:
            emitOnce(targets) { .fileMovedIn($0) }
        case .directory:
            let children = childTargets(targets)
            if !children.isEmpty { directoryAppeared(children, movedIn: true) }
        default:
            break
        }
    }

    /// Watch first, then scan (inotify(7)): files created between the `mkdir` and the watch are found by the
    /// scan, files created after it produce events. `targets` carry the new directory's own level. Each
    /// subscription announces the directory's content once, however many of its roots overlap there.
    func directoryAppeared(_ targets: [Target], movedIn: Bool) {
        let base: Announce = movedIn ? .movedIn : .closed
        var announced: Set<SubscriptionID> = []
        for target in targets {
            guard case .inotify? = roots[target.root]?.phase, let subscription = roots[target.root]?.subscription
            else { continue }
            let announce: Announce = announced.insert(subscription).inserted ? base : .none
            var live = Set<Int32>()
            let outcome = attachTree(
                target.root, at: target.path, level: target.level, announce: announce, announceStart: true,
                traverseKnown: false, live: &live)
            if case .fallBack(let reason) = outcome { fallBackToPolling(target.root, reason: reason) }
        }
    }

    /// `IN_Q_OVERFLOW`: events of the whole instance were lost. Every inotify root, of every subscription, is
    /// walked again and told to rescan; polled roots lost nothing, and waiting roots only check their root.
    func handleOverflow() {
        queueOverflows += 1
        hubStatusDirty = true
        for id in roots.keys.sorted() {
            switch roots[id]?.phase {
            case .inotify(let identity)?:
                let path = roots[id]!.path
                guard DirectoryIdentity.of(path) == identity else {
                    rootLost(id)
                    continue
                }
                // Events were lost: re-walk the whole tree to watch directories created meanwhile and to drop
                // watches whose IN_IGNORED may have been lost, then ask the consumer to rescan.
                var live = Set<Int32>()
                switch attachTree(id, at: path, level: 0, announce: .none, traverseKnown: true, live: &live) {
                case .attached:
                    for descriptor in roots[id]!.watched.subtracting(live) { detach(id, from: descriptor) }
                    emit(.rescanNeeded(root: path, reason: "inotify event queue overflow (IN_Q_OVERFLOW)"), to: id)
                case .missing:
                    rootLost(id)
                case .fallBack(let reason):
                    fallBackToPolling(id, reason: reason)
                }
            case .waiting?:
                recheckWaiting(id)
            case .starting?, .polling?, nil:
                break
            }
        }
    }
}
