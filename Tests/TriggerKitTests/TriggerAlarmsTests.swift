import Foundation
import Testing
import TriggerKit

/// The one timer of every sleeping trigger, on a test clock.
struct TriggerAlarmsTests {
    @Test(
        "Alarms ring in deadline order when the clock reaches them; cancelled ones never ring", .timeLimit(.minutes(1)))
    func ringInOrder() async throws {
        let clock = TestTriggerClock()
        let alarms = TriggerAlarms(clock: clock)
        let t0 = clock.now()
        let signals = (0..<4).map { _ in AsyncSignal() }
        let ringer = Task { await alarms.run() }
        _ = alarms.schedule(t0 + 3, signal: signals[0])
        _ = alarms.schedule(t0 + 1, signal: signals[1])
        let cancelled = alarms.schedule(t0 + 2, signal: signals[2])
        _ = alarms.schedule(t0 + 10, signal: signals[3])
        alarms.cancel(cancelled)
        #expect(alarms.count == 3)
        while clock.sleeperCount == 0 { try await Task.sleep(for: .milliseconds(1)) }

        clock.advance(to: t0 + 1)
        #expect(await signals[1].wait(timeout: .seconds(5)))
        clock.advance(to: t0 + 3)
        #expect(await signals[0].wait(timeout: .seconds(5)))
        #expect(!(await signals[2].wait(timeout: .milliseconds(50))), "a cancelled alarm rang")
        #expect(!(await signals[3].wait(timeout: .milliseconds(50))), "an alarm rang early")
        #expect(alarms.count == 1)
        ringer.cancel()
        await ringer.value
    }

    @Test("An alarm set earlier than the one the timer sleeps for rings on time", .timeLimit(.minutes(1)))
    func earlierAlarmWakesTheTimer() async throws {
        let clock = TestTriggerClock()
        let alarms = TriggerAlarms(clock: clock)
        let t0 = clock.now()
        let late = AsyncSignal()
        let early = AsyncSignal()
        let ringer = Task { await alarms.run() }
        _ = alarms.schedule(t0 + 3600, signal: late)
        while clock.nextDeadline != t0 + 3600 { try await Task.sleep(for: .milliseconds(1)) }
        _ = alarms.schedule(t0 + 5, signal: early)
        while clock.nextDeadline != t0 + 5 { try await Task.sleep(for: .milliseconds(1)) }
        clock.advance(to: t0 + 5)
        #expect(await early.wait(timeout: .seconds(5)))
        ringer.cancel()
        await ringer.value
    }
}
