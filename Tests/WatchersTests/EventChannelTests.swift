import Glibc
import Testing

@testable import Watchers

struct EventChannelTests {
    private func pipeIsReadable(_ wake: WakePipe) -> Bool {
        var descriptor = pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    @Test(.timeLimit(.minutes(1)))
    func producerPausesAtTheLimitAndIsWokenWhenHalfIsDrained() async {
        let wake = WakePipe()
        let channel = EventChannel(limit: 4, wake: wake)
        channel.send((0..<6).map { .fileClosed("/f\($0)") })
        #expect(channel.shouldPause())
        #expect(!pipeIsReadable(wake))
        #expect(await channel.next() == .fileClosed("/f0"))
        #expect(await channel.next() == .fileClosed("/f1"))
        #expect(await channel.next() == .fileClosed("/f2"))
        #expect(!pipeIsReadable(wake), "3 left: still above half of the limit")
        #expect(await channel.next() == .fileClosed("/f3"))
        #expect(pipeIsReadable(wake), "2 left: the producer is told to resume")
        wake.drain()
        #expect(!channel.shouldPause())
        #expect(channel.bufferedCount == 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func finishDeliversBufferedEventsThenEnds() async {
        let channel = EventChannel(limit: 10, wake: WakePipe())
        channel.send([.rootGone("/r")])
        channel.finish()
        #expect(await channel.next() == .rootGone("/r"))
        #expect(await channel.next() == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func terminateWakesAWaitingConsumerAndDropsLaterEvents() async {
        let channel = EventChannel(limit: 10, wake: WakePipe())
        async let waiting = channel.next()
        try? await Task.sleep(for: .milliseconds(20))
        channel.terminate()
        #expect(await waiting == nil)
        channel.send([.rootGone("/r")])
        #expect(await channel.next() == nil)
        #expect(channel.isTerminated)
    }
}
