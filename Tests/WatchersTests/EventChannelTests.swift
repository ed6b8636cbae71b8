import Synchronization
import Testing

@testable import Watchers

struct EventChannelTests {
    private static func fellBehind(_ root: String, _ dropped: Int) -> WatchEvent {
        .rescanNeeded(root: root, reason: "subscriber fell behind: \(dropped) events dropped")
    }

    @Test(.timeLimit(.minutes(1)))
    func bufferAtTheLimitIsReplacedByOneRescanPerRootThenLaterEventsFollowInOrder() async {
        let channel = EventChannel(limit: 4, roots: ["/a", "/b"])
        #expect(channel.send((0..<3).map { .fileClosed("/a/f\($0)") }) == 0)
        #expect(channel.bufferedCount == 3)
        // The 4th undelivered event reaches the limit: all four are dropped.
        #expect(channel.send([.fileClosed("/a/f3"), .fileClosed("/b/g0"), .fileRemoved("/b/g1")]) == 1)
        #expect(channel.bufferedCount == 4, "two markers, then the two events sent after the drop")
        #expect(await channel.next() == Self.fellBehind("/a", 4))
        #expect(await channel.next() == Self.fellBehind("/b", 4))
        #expect(await channel.next() == .fileClosed("/b/g0"))
        #expect(await channel.next() == .fileRemoved("/b/g1"))
        #expect(channel.bufferedCount == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func markersDoNotCountTowardsTheLimitAndUndeliveredOnesCarryTheirCount() async {
        let channel = EventChannel(limit: 3, roots: ["/r"])
        #expect(channel.send((0..<3).map { .fileClosed("/r/\($0)") }) == 1)
        // Marker plus two events: still below the limit, since the marker is not an event from the watcher.
        #expect(channel.send([.fileClosed("/r/x"), .fileClosed("/r/y")]) == 0)
        #expect(channel.bufferedCount == 3)
        // Dropped again before the consumer read the marker: the new marker counts both drops.
        #expect(channel.send([.fileClosed("/r/z")]) == 1)
        #expect(await channel.next() == Self.fellBehind("/r", 6))
        #expect(channel.bufferedCount == 0)
        // After a delivered marker the count starts again.
        #expect(channel.send((0..<4).map { .fileClosed("/r/n\($0)") }) == 1)
        #expect(await channel.next() == Self.fellBehind("/r", 3))
        #expect(await channel.next() == .fileClosed("/r/n3"))
    }

    @Test(.timeLimit(.minutes(1)))
    func aWaitingConsumerGetsTheFirstEventDirectly() async {
        let channel = EventChannel(limit: 1, roots: ["/r"])
        async let first = channel.next()
        try? await Task.sleep(for: .milliseconds(20))
        #expect(channel.send([.fileClosed("/r/a")]) == 0)
        #expect(await first == .fileClosed("/r/a"))
    }

    @Test(.timeLimit(.minutes(1)))
    func finishDeliversBufferedEventsThenEnds() async {
        let channel = EventChannel(limit: 10, roots: ["/r"])
        channel.send([.rootGone("/r")])
        channel.finish()
        #expect(await channel.next() == .rootGone("/r"))
        #expect(await channel.next() == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func terminateWakesAWaitingConsumerDropsLaterEventsAndNotifiesOnce() async {
        let calls = Mutex(0)
        let channel = EventChannel(limit: 10, roots: ["/r"], onTerminate: { calls.withLock { $0 += 1 } })
        async let waiting = channel.next()
        try? await Task.sleep(for: .milliseconds(20))
        channel.terminate()
        #expect(await waiting == nil)
        channel.send([.rootGone("/r")])
        #expect(await channel.next() == nil)
        #expect(channel.isTerminated)
        channel.terminate()
        #expect(calls.withLock { $0 } == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellingTheConsumerTerminatesTheChannel() async {
        let calls = Mutex(0)
        let channel = EventChannel(limit: 10, roots: ["/r"], onTerminate: { calls.withLock { $0 += 1 } })
        await withTaskGroup(of: WatchEvent?.self) { group in
            group.addTask { await channel.next() }
            try? await Task.sleep(for: .milliseconds(20))
            group.cancelAll()
            #expect(await group.next() == .some(nil))
        }
        #expect(channel.isTerminated)
        #expect(calls.withLock { $0 } == 1)
    }
}
