import Glibc

/// Watch bookkeeping: one kernel watch per directory, one owner entry per root that reaches it, and per root
/// the set of descriptors it owns.
extension WatcherEngine {
    /// Watches `start` and, depth permitting, every directory below it; each directory is listed right after
    /// its watch is added. Directories the root already owns are skipped unless `traverseKnown` (overflow
    /// resync).
    func attachTree(
        _ id: RootID, at start: String, level startLevel: Int, announce: Announce, announceStart: Bool = false,
        traverseKnown: Bool, live: inout Set<Int32>
    ) -> AttachOutcome {
        let depth = roots[id]!.depth
        let follow = roots[id]!.followSymlinks
        let checkMounts = roots[id]!.mode == .automatic
        var stack: [(path: String, level: Int, parentDevice: UInt64?)] = [(start, startLevel, nil)]
        var isStart = true
        while let (directory, level, parentDevice) = stack.popLast() {
            defer { isStart = false }
            var mask = InotifyFlag.treeMask
            if level > 0 && !follow { mask |= InotifyFlag.dontFollow }
            let descriptor: Int32
            let isNew: Bool
            switch addWatch(id, at: directory, level: level, mask: mask) {
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
                emit(.directoryCreated(directory), to: id)
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
                    case .closed: emit(.fileClosed(path), to: id)
                    case .movedIn: emit(.fileMovedIn(path), to: id)
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

    /// Adds (or re-adds) a tree watch for root `id`; `isNew` is false when the root already owned it at this
    /// or a shallower level. A directory already watched for another root gets no second kernel watch: the
    /// root becomes one more owner (and the hub's watch budget is not charged again).
    private func addWatch(
        _ id: RootID, at path: String, level: Int, mask: UInt32
    ) -> Result<(Int32, isNew: Bool), WatchFailure> {
        guard let inotify else { return .failure(.limit(inotifyUnavailableReason)) }
        let descriptor: Int32
        switch inotify.addWatch(path, mask: mask) {
        case .success(let value):
            descriptor = value
        case .failure(let error):
            return .failure(error.isLimit ? .limit("inotify watch limit reached (\(error.name))") : .failed(error))
        }
        if watches[descriptor] != nil {
            if var owner = watches[descriptor]!.owners[id] {
                // Renamed, or reached through another path (followed link): events follow the latest path, but
                // the root's own directory keeps the root's path.
                if owner.level != 0 { owner.path = path }
                let isNew = level < owner.level
                if isNew { owner.level = level }
                watches[descriptor]!.owners[id] = owner
                if isNew { markDirty(id) }
                return .success((descriptor, isNew))
            }
        } else {
            if let budget = maximumWatches, watches.count >= budget {
                inotify.removeWatch(descriptor)
                return .failure(.limit("watch budget of \(budget) directories reached"))
            }
            watches[descriptor] = WatchedDirectory()
        }
        watches[descriptor]!.owners[id] = WatchOwner(level: level, path: path)
        roots[id]!.watched.insert(descriptor)
        markDirty(id)
        return .success((descriptor, true))
    }

    /// Drops a root's ownership of one watch, removing the kernel watch when nobody else uses it.
    func detach(_ id: RootID, from descriptor: Int32) {
        guard watches[descriptor]?.owners.removeValue(forKey: id) != nil else { return }
        roots[id]?.watched.remove(descriptor)
        markDirty(id)
        removeIfUnowned(descriptor)
    }

    /// Drops every watch of a root: O(its own directories).
    func detachAll(_ id: RootID) {
        releaseAncestor(id)
        guard let owned = roots[id]?.watched else { return }
        for descriptor in owned { detach(id, from: descriptor) }
        roots[id]!.watched = []
    }

    /// Directories moved out (or away inside the tree): their watches would keep reporting under the old
    /// paths. `movedPaths` are the old path as seen by each root that owned the parent.
    func detachSubtree(_ movedPaths: [String]) {
        func isMoved(_ path: String) -> Bool {
            movedPaths.contains { PathUtilities.isSame(path, orBelow: $0) }
        }
        var lostRoots: Set<RootID> = []
        var detachments: [(RootID, Int32)] = []
        var movedAncestors: Set<RootID> = []
        for (descriptor, watch) in watches {
            for (id, owner) in watch.owners where isMoved(owner.path) {
                if let rootPath = roots[id]?.path, isMoved(rootPath) {
                    lostRoots.insert(id)
                } else {
                    detachments.append((id, descriptor))
                }
            }
            for (id, ancestor) in watch.waiting where isMoved(ancestor) {
                movedAncestors.insert(id)  // waiting roots whose ancestor watch moved away
            }
        }
        for (id, descriptor) in detachments { detach(id, from: descriptor) }
        for id in lostRoots.sorted() { rootLost(id) }
        for id in movedAncestors.sorted() {
            releaseAncestor(id)
            recheckWaiting(id)
        }
    }

    func removeIfUnowned(_ descriptor: Int32) {
        guard let watch = watches[descriptor], watch.owners.isEmpty, watch.waiting.isEmpty else { return }
        inotify?.removeWatch(descriptor)
        watches[descriptor] = nil
        hubStatusDirty = true
    }

    /// The kernel dropped the watch (`IN_IGNORED`: directory deleted, unmounted, or removed by us).
    func forget(_ descriptor: Int32) {
        guard let watch = watches.removeValue(forKey: descriptor) else { return }
        hubStatusDirty = true
        let owners = watch.sortedOwners
        for (id, _) in owners {
            roots[id]?.watched.remove(descriptor)
            markDirty(id)
        }
        for (id, owner) in owners where owner.level == 0 { rootLost(id) }
        // A subdirectory whose watch vanished but whose path is still a directory was a mount point that got
        // unmounted (a deleted directory is gone, and a re-created one also arrives as IN_CREATE): watch and
        // scan what is underneath.
        var survivors: [String: [Target]] = [:]
        var paths: [String] = []
        for (id, owner) in owners where owner.level > 0 {
            guard case .inotify? = roots[id]?.phase else { continue }
            if survivors[owner.path] == nil { paths.append(owner.path) }
            survivors[owner.path, default: []].append(Target(root: id, level: owner.level, path: owner.path))
        }
        for path in paths where DirectoryReader.directoryInfo(path) != nil {
            directoryAppeared(survivors[path]!, movedIn: false)
        }
        for id in watch.waiting.keys.sorted() {
            if case .waiting(descriptor)? = roots[id]?.phase {
                roots[id]!.phase = .waiting(ancestor: nil)
                recheckWaiting(id)
            }
        }
    }
}
