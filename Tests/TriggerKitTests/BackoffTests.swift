import Foundation
import Testing
import TriggerKit

struct BackoffTests {
    @Test("the default doubles from 1 s and is capped at 5 minutes")
    func defaultSequence() {
        let delays = (0...12).map { Backoff.submission.delay(afterFailures: $0) }
        #expect(
            delays == [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300].map { Duration.seconds($0) }
        )
        #expect(Backoff.submission.delay(afterFailures: Int.max) == .seconds(300))
        #expect(Backoff.submission.delay(afterFailures: -3) == .zero)
    }

    @Test(
        "custom policies",
        arguments: [
            (
                Backoff(initialDelay: .milliseconds(500), multiplier: 3, maximumDelay: .seconds(10)),
                [0.5, 1.5, 4.5, 10, 10]
            ),
            (Backoff(initialDelay: .seconds(5), multiplier: 1, maximumDelay: .seconds(60)), [5, 5, 5, 5, 5]),
            (Backoff(initialDelay: .seconds(5), multiplier: 0, maximumDelay: .seconds(60)), [5, 5, 5, 5, 5]),
            (Backoff(initialDelay: .seconds(90), multiplier: 2, maximumDelay: .seconds(60)), [60, 60, 60, 60, 60]),
            (
                Backoff(initialDelay: .seconds(1), multiplier: Int.max, maximumDelay: .seconds(300)),
                [1, 300, 300, 300, 300]
            ),
            (Backoff(initialDelay: .zero), [0, 0, 0, 0, 0]),
        ] as [(Backoff, [Double])]
    )
    func customPolicies(policy: Backoff, seconds: [Double]) {
        let delays = (1...5).map { policy.delay(afterFailures: $0) }
        #expect(delays == seconds.map { Duration.milliseconds(Int64($0 * 1_000)) })
    }

    @Test("jitter is deterministic per key and failure count, and only ever shortens a delay")
    func deterministicJitter() {
        let policy = Backoff(jitter: 0.5)
        for failures in 1...12 {
            let full = Backoff.submission.delay(afterFailures: failures)
            let a = policy.delay(afterFailures: failures, jitterKey: "ens.nightly")
            #expect(a == policy.delay(afterFailures: failures, jitterKey: "ens.nightly"))
            #expect(a <= full)
            #expect(a >= full / 2)
        }
        // Different keys spread out.
        let spread = Set((0..<50).map { policy.delay(afterFailures: 9, jitterKey: "trigger-\($0)") })
        #expect(spread.count > 40)
        // No key or no jitter: the plain formula.
        #expect(policy.delay(afterFailures: 3) == .seconds(4))
        #expect(Backoff.submission.delay(afterFailures: 3, jitterKey: "x") == .seconds(4))
    }

    @Test("retry times add the delay to the failure time")
    func retryTime() {
        let failedAt = Date(timeIntervalSince1970: 1_000)
        #expect(
            Backoff.submission.retryTime(afterFailures: 4, failedAt: failedAt) == Date(timeIntervalSince1970: 1_008))
        let halfSecond = Backoff(initialDelay: .milliseconds(500))
        #expect(halfSecond.retryTime(afterFailures: 1, failedAt: failedAt) == Date(timeIntervalSince1970: 1_000.5))
    }
}
