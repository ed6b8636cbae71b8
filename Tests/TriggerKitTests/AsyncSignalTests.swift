import Foundation
import Testing

@testable import TriggerKit

@Suite("AsyncSignal")
struct AsyncSignalTests {
    @Test("a signal sent while nobody waits ends the next wait at once", .timeLimit(.minutes(1)))
    func pendingSignal() async {
        let signal = AsyncSignal()
        signal.signal()
        let start = ContinuousClock.now
        #expect(await signal.wait(timeout: .seconds(30)))
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("a wait without a signal times out and reports it", .timeLimit(.minutes(1)))
    func timeout() async {
        let signal = AsyncSignal()
        let start = ContinuousClock.now
        #expect(await signal.wait(timeout: .milliseconds(50)) == false)
        #expect(ContinuousClock.now - start >= .milliseconds(50))
    }

    @Test("a signal during a wait ends it and is consumed", .timeLimit(.minutes(1)))
    func signalDuringWait() async {
        let signal = AsyncSignal()
        async let woke = signal.wait(timeout: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        signal.signal()
        #expect(await woke)
        #expect(await signal.wait(timeout: .milliseconds(20)) == false)
    }

    @Test("signals racing with short timeouts are never lost", .timeLimit(.minutes(1)))
    func noLostSignals() async {
        // Each round sends exactly one signal at a random moment around the timeout; the signal must be reported
        // either by that wait or, if it came after the wait returned, by the next one.
        let signal = AsyncSignal()
        var missed = 0
        for _ in 0..<200 {
            async let send: Void = {
                try? await Task.sleep(for: .microseconds(Int64.random(in: 0...2000)))
                signal.signal()
            }()
            var got = await signal.wait(timeout: .milliseconds(1))
            await send
            if !got { got = await signal.wait(timeout: .milliseconds(200)) }
            if !got { missed += 1 }
        }
        #expect(missed == 0)
    }
}
