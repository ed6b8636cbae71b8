import Foundation

/// Retry delays for failed workflow submissions: exponential, capped, and without randomness.
///
/// After `n` consecutive failures (n ≥ 1) the next attempt waits
/// `min(maximumDelay, initialDelay × multiplier^(n−1))`; with the defaults that is 1 s, 2 s, 4 s, 8 s, ...,
/// 256 s, then 300 s (5 minutes) for every further failure. `n ≤ 0` gives no delay.
///
/// Optional jitter spreads the retries of many triggers that failed together (for example during an
/// EM outage) without giving up reproducibility: with `jitter = j` and a key (such as the trigger name),
/// the delay is multiplied by `1 − j × u`, where `u` in [0, 1) is derived from the 64-bit FNV-1a hash of
/// `"<key>:<n>"`. The same key and failure count always give the same delay, and the delay never exceeds
/// the jitter-free one.
public struct Backoff: Sendable, Hashable {
    /// The delay after the first failure (default 1 s).
    public var initialDelay: Duration
    /// The growth factor per further failure (default 2; values below 1 count as 1).
    public var multiplier: Int
    /// The cap (default 300 s = 5 minutes).
    public var maximumDelay: Duration
    /// The largest fraction that jitter takes off a delay, in [0, 1] (default 0: no jitter).
    public var jitter: Double

    /// The default policy for failed submissions: 1 s doubling up to 5 minutes, no jitter.
    public static let submission = Backoff()

    /// Creates a policy.
    /// - Parameters:
    ///   - initialDelay: The delay after the first failure.
    ///   - multiplier: The growth factor per further failure.
    ///   - maximumDelay: The cap.
    ///   - jitter: The largest fraction that jitter takes off a delay (clamped to [0, 1]).
    public init(
        initialDelay: Duration = .seconds(1),
        multiplier: Int = 2,
        maximumDelay: Duration = .seconds(300),
        jitter: Double = 0
    ) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.jitter = jitter
    }

    /// The delay before the next attempt after `failures` consecutive failures.
    /// - Parameters:
    ///   - failures: How many attempts in a row have failed; `0` or less means no delay.
    ///   - jitterKey: A stable key (e.g. the trigger name) for deterministic jitter; ignored if
    ///     ``jitter`` is 0.
    public func delay(afterFailures failures: Int, jitterKey: String? = nil) -> Duration {
        guard failures >= 1, initialDelay > .zero else { return .zero }
        let cap = Swift.max(maximumDelay, .zero)
        let factor = Swift.max(1, multiplier)
        var delay = Swift.min(initialDelay, cap)
        var step = 1
        while step < failures, delay < cap, factor > 1 {
            // Compare before multiplying so that huge factors cannot overflow.
            delay = delay > cap / factor ? cap : delay * factor
            step += 1
        }
        delay = Swift.min(delay, cap)
        let fraction = Swift.min(Swift.max(jitter, 0), 1)
        if fraction > 0, let jitterKey {
            let unit = Double(Self.fnv1a("\(jitterKey):\(failures)") >> 11) / Double(UInt64(1) << 53)
            delay = delay * (1 - fraction * unit)
        }
        return delay
    }

    /// When to retry after the `failures`-th consecutive failure at `failedAt`.
    public func retryTime(afterFailures failures: Int, failedAt: Date, jitterKey: String? = nil) -> Date {
        let delay = delay(afterFailures: failures, jitterKey: jitterKey)
        let (seconds, attoseconds) = delay.components
        return failedAt.addingTimeInterval(TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18)
    }

    /// The 64-bit FNV-1a hash of the UTF-8 bytes of `text` (stable across processes, unlike `Hasher`).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
