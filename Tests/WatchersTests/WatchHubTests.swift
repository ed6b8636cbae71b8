import Foundation
import Glibc
import Testing

@testable import Watchers

/// One hub for many subscriptions: real inotify in temporary directories. Serialized, so that the thread
/// counts of one test are not disturbed by another hub test (other suites still run in parallel).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct WatchHubTests {
    static let initialScan = "initial scan (watches are in place)"

    // MARK: - 1. One thread, one inotify instance

    @Test func thousandSubscriptionsShareOneThreadAndOneInotifyInstance() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let count = 1000
        await onThread { for index in 0..<count { makeDirectories(dir("d\(index)")) } }
        let threadsBefore = threadCount()
        let hubThreadsBefore = threadCount(named: "pegasus-em.hub")
        let hub = WatchHub()
        defer { hub.shutdown() }
        let subscriptions = (0..<count).map { hub.subscribe(roots: [WatchRoot(path: dir("d\($0)"))]) }
        let ready = await eventually(timeout: .seconds(30)) {
            subscriptions.allSatisfy { $0.status().first?.state == .active }
        }
        try #require(ready)
        for (index, subscription) in subscriptions.enumerated() {
            #expect(
                subscription.status() == [
                    RootStatus(
                        root: dir("d\(index)"), mode: .inotify, reason: nil, watchedDirectories: 1, state: .active)
                ])
        }
        // Other suites run in parallel and start threads of their own (a watcher thread per test, helper threads
        // for blocking file work; on a slow machine many of them at once), hence a wide margin; a thread per
        // subscription would add 1,000.
        let grown = threadCount() - threadsBefore
        #expect(grown < 200, "the process grew by \(grown) threads")
        #expect(threadCount(named: "pegasus-em.hub") <= hubThreadsBefore + 1)
        #expect(await eventually { hub.status().subscriptions == count && hub.status().watches == count })

        // One inotify instance holds all 1,000 watches.
        let inodes = Set((0..<count).map { inode(of: dir("d\($0)")) })
        let holders = inotifyInstances().filter { !$0.value.isDisjoint(with: inodes) }
        #expect(holders.count == 1)
        #expect(holders.first?.value.isSuperset(of: inodes) == true)

        // A file reaches exactly the subscription of its directory.
        let chosen = [0, 499, 999]
        for index in chosen { writeFile(dir("d\(index)/hello")) }
        let delivered = await eventually { chosen.allSatisfy { subscriptions[$0].channel.bufferedCount == 2 } }
        #expect(delivered)
        for (index, subscription) in subscriptions.enumerated() where !chosen.contains(index) {
            #expect(subscription.channel.bufferedCount == 1, "only the initial rescan for d\(index)")
        }
        for index in chosen {
            var iterator = subscriptions[index].events.makeAsyncIterator()
            #expect(await iterator.next() == .rescanNeeded(root: dir("d\(index)"), reason: Self.initialScan))
            #expect(await iterator.next() == .fileClosed(dir("d\(index)/hello")))
        }

        for subscription in subscriptions { subscription.cancel() }
        #expect(await eventually { hub.status().watches == 0 && hub.status().subscriptions == 0 })
        #expect(inotifyInstances().values.allSatisfy { $0.isDisjoint(with: inodes) })
    }

    // MARK: - 2. Shared directories, reference counted

    @Test func directoryOfSeveralSubscriptionsHasOneReferenceCountedWatch() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let hub = WatchHub()
        defer { hub.shutdown() }
        let first = hub.subscribe(roots: [WatchRoot(path: dir.path)])
        let second = hub.subscribe(roots: [WatchRoot(path: dir.path)])
        try await withConsumers([first, second]) { logs in
            try await waitForInitialScans(logs, roots: [[dir.path], [dir.path]])
            #expect(await eventually { hub.status().watches == 1 && hub.status().subscriptions == 2 })
            #expect(first.status().first?.watchedDirectories == 1)
            #expect(second.status().first?.watchedDirectories == 1)

            writeFile(dir("both"))
            #expect(await logs[0].wait(for: .fileClosed(dir("both"))))
            #expect(await logs[1].wait(for: .fileClosed(dir("both"))))

            first.cancel()
            #expect(await eventually { hub.status().subscriptions == 1 })
            #expect(hub.status().watches == 1)
            #expect(inotifyWatchedInodes().contains(inode(of: dir.path)))
            writeFile(dir("second-only"))
            #expect(await logs[1].wait(for: .fileClosed(dir("second-only"))))
            #expect(!logs[0].contains(.fileClosed(dir("second-only"))))

            second.cancel()
            #expect(await eventually { hub.status().watches == 0 && hub.status().subscriptions == 0 })
            #expect(await eventually { !inotifyWatchedInodes().contains(inode(of: dir.path)) })
            #expect(logs[0].count(.fileClosed(dir("both"))) == 1)
            #expect(logs[1].count(.fileClosed(dir("both"))) == 1)
        }
    }

    /// A root that is a symbolic link to another subscription's root: one kernel watch (same inode), but each
    /// subscription hears about the files under its own root's path.
    @Test func aliasedRootsShareAWatchButReportUnderTheirOwnPaths() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("real/sub"))
        #expect(symlink(dir("real"), dir("alias")) == 0)
        let hub = WatchHub()
        defer { hub.shutdown() }
        let real = hub.subscribe(roots: [WatchRoot(path: dir("real"), depth: 1)])
        let alias = hub.subscribe(roots: [WatchRoot(path: dir("alias"), depth: 1)])
        try await withConsumers([real, alias]) { logs in
            try await waitForInitialScans(logs, roots: [[dir("real")], [dir("alias")]])
            #expect(await eventually { hub.status().watches == 2 })
            writeFile(dir("real/sub/f"))
            #expect(await logs[0].wait(for: .fileClosed(dir("real/sub/f"))))
            #expect(await logs[1].wait(for: .fileClosed(dir("alias/sub/f"))))
            #expect(!logs[0].all.contains { $0.path.hasPrefix(dir("alias")) })
            #expect(!logs[1].all.contains { $0.path.hasPrefix(dir("real")) })
        }
    }

    // MARK: - 3. Each subscription gets only its own roots' events

    @Test func eachSubscriptionReceivesOnlyTheEventsOfItsOwnRoots() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("a/deep"))
        makeDirectories(dir("b"))
        let hub = WatchHub()
        defer { hub.shutdown() }
        let inA = hub.subscribe(roots: [WatchRoot(path: dir("a"), depth: WatchRoot.unlimited)])
        let topOnly = hub.subscribe(roots: [WatchRoot(path: dir.path, depth: 0)])
        let everything = hub.subscribe(roots: [WatchRoot(path: dir.path, depth: WatchRoot.unlimited)])
        let overlapping = hub.subscribe(roots: [
            WatchRoot(path: dir.path, depth: WatchRoot.unlimited), WatchRoot(path: dir("a"), depth: 0),
        ])
        let subscriptions = [inA, topOnly, everything, overlapping]
        try await withConsumers(subscriptions) { logs in
            try await waitForInitialScans(
                logs, roots: [[dir("a")], [dir.path], [dir.path], [dir.path, dir("a")]])
            #expect(await eventually { hub.status().watches == 4 }, "dir, a, a/deep, b: each counted once")
            #expect(overlapping.status().map(\.watchedDirectories) == [4, 1])

            let files = ["a/x", "top", "a/deep/y", "b/z"]
            for file in files { writeFile(dir(file)) }
            makeDirectories(dir("a/new"))
            let expected: [Set<String>] = [
                ["a/x", "a/deep/y"], ["top"], Set(files), Set(files),
            ]
            for (log, names) in zip(logs, expected) {
                #expect(await log.wait { events in names.allSatisfy { events.contains(.fileClosed(dir($0))) } })
            }
            #expect(await logs[0].wait(for: .directoryCreated(dir("a/new"))))
            #expect(await logs[2].wait(for: .directoryCreated(dir("a/new"))))
            #expect(await logs[3].wait(for: .directoryCreated(dir("a/new"))))
            try await Task.sleep(for: .milliseconds(200))  // nothing else may follow
            for (log, names) in zip(logs, expected) {
                let closed = log.all.compactMap { if case .fileClosed(let path) = $0 { path } else { nil } }
                #expect(closed.sorted() == names.map { dir($0) }.sorted(), "each file once, only its own")
            }
            #expect(!logs[1].all.contains(.directoryCreated(dir("a/new"))), "depth 0")
            for log in [logs[0], logs[2], logs[3]] { #expect(log.count(.directoryCreated(dir("a/new"))) == 1) }
        }
    }

    // MARK: - 4. subscribe returns at once

    @Test func subscribeReturnsAtOnceWithStartingRootsThenTheInitialRescanComesFirst() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("one"))
        let hub = WatchHub()
        defer { hub.shutdown() }
        hub.core.setPaused(true)  // the hub thread takes no commands: the subscription stays queued
        let roots = [WatchRoot(path: dir("one")), WatchRoot(path: dir("missing")), WatchRoot(path: dir("one/"))]
        let subscription = hub.subscribe(roots: roots)
        #expect(subscription.roots == [WatchRoot(path: dir("one")), WatchRoot(path: dir("missing"))])
        let starting = subscription.roots.map {
            RootStatus(root: $0.path, mode: .automatic, reason: nil, watchedDirectories: 0, state: .starting)
        }
        #expect(subscription.status() == starting)
        try await Task.sleep(for: .milliseconds(100))
        #expect(subscription.status() == starting)
        #expect(hub.status().subscriptions == 0)

        hub.core.setPaused(false)
        var iterator = subscription.events.makeAsyncIterator()
        #expect(await iterator.next() == .rescanNeeded(root: dir("one"), reason: Self.initialScan))
        #expect(subscription.status().map(\.state) == [.active, .waitingForRoot])
        writeFile(dir("one/new"))
        #expect(await iterator.next() == .fileClosed(dir("one/new")))
        #expect(hub.status().subscriptions == 1)
    }

    // MARK: - 5. A slow subscriber never stops the hub

    @Test func laggingSubscriberIsToldToRescanAndOthersAreUnaffected() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("slow1"))
        makeDirectories(dir("slow2"))
        makeDirectories(dir("other"))
        let hub = WatchHub(configuration: WatchHubConfiguration(maximumBufferedEvents: 50))
        defer { hub.shutdown() }
        let slow = hub.subscribe(roots: [WatchRoot(path: dir("slow1")), WatchRoot(path: dir("slow2"))])
        let other = hub.subscribe(roots: [WatchRoot(path: dir("other"))])
        #expect(await eventually { (slow.status() + other.status()).allSatisfy { $0.state == .active } })

        // Nobody reads meanwhile: 2 initial rescans + 200 closes for `slow`, 1 + 5 for `other`.
        await onThread {
            for index in 0..<200 { writeFile(dir("slow1/f\(index)"), bytes: 0) }
            for index in 0..<5 { writeFile(dir("other/g\(index)"), bytes: 0) }
        }
        var otherEvents = other.events.makeAsyncIterator()
        #expect(await otherEvents.next() == .rescanNeeded(root: dir("other"), reason: Self.initialScan))
        for index in 0..<5 { #expect(await otherEvents.next() == .fileClosed(dir("other/g\(index)"))) }
        #expect(other.channel.bufferedCount == 0)

        // Dropped at 50, 100, 150 and 200 undelivered events; the markers were never read, so the last one
        // counts all 200; the two closes after the last drop follow in order.
        #expect(await eventually { hub.status().subscriberOverflows == 4 })
        var slowEvents = slow.events.makeAsyncIterator()
        let reason = "subscriber fell behind: 200 events dropped"
        #expect(await slowEvents.next() == .rescanNeeded(root: dir("slow1"), reason: reason))
        #expect(await slowEvents.next() == .rescanNeeded(root: dir("slow2"), reason: reason))
        #expect(await slowEvents.next() == .fileClosed(dir("slow1/f198")))
        #expect(await slowEvents.next() == .fileClosed(dir("slow1/f199")))
        #expect(scanFiles(root: WatchRoot(path: dir("slow1"))).count == 200)

        writeFile(dir("slow1/after"))
        #expect(await slowEvents.next() == .fileClosed(dir("slow1/after")))
        #expect(hub.status().queueOverflows == 0)
    }

    // MARK: - 6. Kernel queue overflow

    @Test func queueOverflowRescansTheInotifyRootsOfEverySubscriptionOnly() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        for name in ["flooded", "polled", "d1", "d2"] { makeDirectories(dir(name)) }
        let hub = WatchHub(
            configuration: WatchHubConfiguration(pollInterval: .milliseconds(100), maximumBufferedEvents: 1_000_000))
        defer { hub.shutdown() }
        let flooded = hub.subscribe(roots: [WatchRoot(path: dir("flooded"))])
        let polled = hub.subscribe(
            roots: [WatchRoot(path: dir("polled"))], options: SubscriptionOptions(mode: .polling))
        let waiting = hub.subscribe(
            roots: [WatchRoot(path: dir("missing/root"))], options: SubscriptionOptions(mode: .inotify))
        let twoRoots = hub.subscribe(roots: [WatchRoot(path: dir("d1")), WatchRoot(path: dir("d2"))])
        try await withConsumers([flooded, polled, waiting, twoRoots]) { logs in
            try await waitForInitialScans(
                logs, roots: [[dir("flooded")], [dir("polled")], [], [dir("d1"), dir("d2")]])
            #expect(await eventually { waiting.status().first?.state == .waitingForRoot })
            #expect(waiting.status().first?.mode == .inotify)

            hub.core.setPaused(true)  // the hub thread stops reading inotify, so the kernel queue fills up
            try await Task.sleep(for: .milliseconds(50))
            let queueLimit = Int(readProcFile("/proc/sys/fs/inotify/max_queued_events") ?? "") ?? 16_384
            await onThread { for index in 0..<(queueLimit + 100) { writeFile(dir("flooded/f\(index)"), bytes: 0) } }
            hub.core.setPaused(false)

            let overflow = "inotify event queue overflow (IN_Q_OVERFLOW)"
            #expect(await logs[0].wait(for: .rescanNeeded(root: dir("flooded"), reason: overflow)))
            #expect(await logs[3].wait(for: .rescanNeeded(root: dir("d1"), reason: overflow)))
            #expect(await logs[3].wait(for: .rescanNeeded(root: dir("d2"), reason: overflow)))
            #expect(await eventually { hub.status().queueOverflows == 1 })
            try await Task.sleep(for: .milliseconds(300))
            let rescans = { (log: EventLog) in log.all.filter { if case .rescanNeeded = $0 { true } else { false } } }
            #expect(rescans(logs[1]) == [.rescanNeeded(root: dir("polled"), reason: Self.initialScan)])
            #expect(rescans(logs[2]).isEmpty)
            #expect(waiting.status().first?.state == .waitingForRoot)

            // Still watching afterwards.
            writeFile(dir("d2/after"))
            #expect(await logs[3].wait(for: .fileClosed(dir("d2/after"))))
        }
    }

    // MARK: - 7. Polled roots on the hub thread

    @Test func polledRootsAreServedByTheHubThread() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let count = 20
        for index in 0..<count { makeDirectories(dir("p\(index)")) }
        let hubThreadsBefore = threadCount(named: "pegasus-em.hub")
        let hub = WatchHub(configuration: WatchHubConfiguration(pollInterval: .milliseconds(100)))
        defer { hub.shutdown() }
        let subscriptions = (0..<count).map {
            hub.subscribe(roots: [WatchRoot(path: dir("p\($0)"))], options: SubscriptionOptions(mode: .polling))
        }
        try await withConsumers(subscriptions) { logs in
            try await waitForInitialScans(logs, roots: (0..<count).map { [dir("p\($0)")] })
            #expect(await eventually { hub.status().polledRoots == count })
            #expect(hub.status().watches == 0)
            for subscription in subscriptions {
                #expect(subscription.status().first?.mode == .polling)
                #expect(subscription.status().first?.reason == "forced by configuration")
            }
            #expect(threadCount(named: "pegasus-em.hub") <= hubThreadsBefore + 1)
            for index in 0..<count { writeFile(dir("p\(index)/f")) }
            for (index, log) in logs.enumerated() {
                #expect(await log.wait(for: .fileClosed(dir("p\(index)/f"))))
            }
            for (index, log) in logs.enumerated() {
                #expect(!log.all.contains { $0.path.hasPrefix(dir.path + "/") && !$0.path.hasPrefix(dir("p\(index)")) })
            }
        }
    }

    // MARK: - 8. Shared watch budget

    @Test func watchBudgetIsSharedByAllSubscriptions() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        for name in ["a/s1", "a/s2", "b/s1", "b/s2", "c"] { makeDirectories(dir(name)) }
        let hub = WatchHub(configuration: WatchHubConfiguration(pollInterval: .milliseconds(100), maximumWatches: 5))
        defer { hub.shutdown() }
        let recursive = { (name: String) in [WatchRoot(path: dir(name), depth: WatchRoot.unlimited)] }
        let first = hub.subscribe(roots: recursive("a"))
        #expect(await eventually { first.status().first?.state == .active })
        let second = hub.subscribe(roots: recursive("b"))  // 3 + 3 directories > 5
        #expect(await eventually { second.status().first?.state == .active })
        let third = hub.subscribe(roots: recursive("c"))  // 3 + 1 fits
        try await withConsumers([first, second, third]) { logs in
            try await waitForInitialScans(logs, roots: [[dir("a")], [dir("b")], [dir("c")]])
            #expect(first.status().first?.mode == .inotify)
            #expect(second.status().first?.mode == .polling)
            #expect(second.status().first?.reason == "watch budget of 5 directories reached")
            #expect(third.status().first?.mode == .inotify)
            #expect(await eventually { hub.status().watches == 4 })
            #expect(hub.status().watchLimit == 5)
            #expect(hub.status().polledRoots == 1)
            writeFile(dir("b/s2/polled"))
            writeFile(dir("c/watched"))
            #expect(await logs[1].wait(for: .fileClosed(dir("b/s2/polled"))))
            #expect(await logs[2].wait(for: .fileClosed(dir("c/watched"))))
        }
    }

    // MARK: - 10. Shutdown and release

    @Test func shutdownEndsEveryStreamStopsTheThreadAndClosesInotify() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        makeDirectories(dir("one"))
        makeDirectories(dir("two"))
        let hub = WatchHub()
        #expect(hub.status().inotifyAvailable)
        #expect(hub.status().inotifyReason == nil)
        #expect(hub.status().watchLimit == Int(readProcFile("/proc/sys/fs/inotify/max_user_watches") ?? ""))
        let one = hub.subscribe(roots: [WatchRoot(path: dir("one"))])
        let two = hub.subscribe(roots: [WatchRoot(path: dir("two"))])
        var oneEvents = one.events.makeAsyncIterator()
        var twoEvents = two.events.makeAsyncIterator()
        _ = await oneEvents.next()
        _ = await twoEvents.next()
        let inodes: Set<UInt64> = [inode(of: dir("one")), inode(of: dir("two"))]
        #expect(inotifyWatchedInodes().isSuperset(of: inodes))

        writeFile(dir("one/buffered"))  // may or may not be buffered yet: shutdown drops it either way
        hub.shutdown()
        hub.shutdown()
        #expect(await oneEvents.next() == nil)
        #expect(await twoEvents.next() == nil)
        #expect(await eventually { hub.core.threadExited })
        #expect(await eventually { inotifyWatchedInodes().isDisjoint(with: inodes) })
        #expect(hub.status().subscriptions == 0)
        #expect(hub.status().watches == 0)
        #expect(!hub.status().inotifyAvailable)

        let late = hub.subscribe(roots: [WatchRoot(path: dir("one"))])
        var lateEvents = late.events.makeAsyncIterator()
        #expect(await lateEvents.next() == nil)
        one.cancel()
    }

    @Test func releasingTheHubShutsItDownEvenWhileSubscriptionsLive() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let directoryInode = inode(of: dir.path)
        var hub: WatchHub? = WatchHub()
        let core = hub!.core
        let subscription = hub!.subscribe(roots: [WatchRoot(path: dir.path)])
        #expect(await eventually { subscription.status().first?.state == .active })
        #expect(inotifyWatchedInodes().contains(directoryInode))
        hub = nil
        var events = subscription.events.makeAsyncIterator()
        #expect(await events.next() == nil)
        #expect(await eventually { core.threadExited })
        #expect(await eventually { !inotifyWatchedInodes().contains(directoryInode) })
    }

    @Test func subscriptionEndsOnCancelReleaseOrCancelledConsumer() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        for name in ["kept", "released", "consumed"] { makeDirectories(dir(name)) }
        let hub = WatchHub()
        defer { hub.shutdown() }
        let kept = hub.subscribe(roots: [WatchRoot(path: dir("kept"))])
        do {
            let released = hub.subscribe(roots: [WatchRoot(path: dir("released"))])
            #expect(await eventually { released.status().first?.state == .active })
            #expect(await eventually { hub.status().watches == 2 })
        }
        #expect(await eventually { hub.status().watches == 1 && hub.status().subscriptions == 1 })

        // Cancelling the task that iterates the events cancels the subscription.
        let consumed = hub.subscribe(roots: [WatchRoot(path: dir("consumed"))])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in consumed.events {} }
            _ = await eventually { hub.status().watches == 2 }
            group.cancelAll()
        }
        #expect(await eventually { hub.status().watches == 1 && hub.status().subscriptions == 1 })
        var after = consumed.events.makeAsyncIterator()
        #expect(await after.next() == nil)

        // Cancelled before the hub thread took it up: the queued subscription is simply dropped.
        hub.core.setPaused(true)
        let abandoned = hub.subscribe(roots: [WatchRoot(path: dir("released"))])
        abandoned.cancel()
        hub.core.setPaused(false)
        var abandonedEvents = abandoned.events.makeAsyncIterator()
        #expect(await abandonedEvents.next() == nil)
        try await Task.sleep(for: .milliseconds(50))
        #expect(hub.status().subscriptions == 1)
        #expect(abandoned.status().first?.state == .starting)

        kept.cancel()
        kept.cancel()
        #expect(await eventually { hub.status().watches == 0 && hub.status().subscriptions == 0 })
        var keptEvents = kept.events.makeAsyncIterator()
        #expect(await keptEvents.next() == nil)
    }
}
