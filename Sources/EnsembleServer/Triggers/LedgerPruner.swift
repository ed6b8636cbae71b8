import EnsembleStore
import Foundation
import Logging
import PegasusConfig
import ServiceLifecycle

/// Keeps the file triggers' ledger to the files that exist plus the recent past: every `interval` it deletes the
/// rows of files that are gone and were recorded longer ago than `TRIGGER_LEDGER_RETENTION`
/// (``EMStore/pruneLedger(recordedBefore:detail:batch:)``; rows of files still present are never deleted). The
/// work runs in the store's writer queue, never on the concurrency pool.
struct LedgerPruner: Service {
    /// The default retention: 30 days.
    static let defaultRetention: Double = 30 * 86_400

    let store: EMStore
    /// Seconds a gone file's row is kept after it was recorded.
    let retention: Double
    /// Between prunes.
    let interval: Duration
    /// Before the first prune (so that a restart is not slowed down by it).
    let firstDelay: Duration
    let logger: Logger

    /// The pruner the configuration asks for; nil with `TRIGGER_LEDGER_RETENTION = 0` or `None` (keep forever).
    static func configured(_ configuration: PegasusConfiguration, store: EMStore, logger: Logger) throws
        -> LedgerPruner?
    {
        // `None` in service.py keeps every row, as does 0.
        if configuration.values["TRIGGER_LEDGER_RETENTION"] == ConfigValue.none { return nil }
        let retention = try configuration.seconds("TRIGGER_LEDGER_RETENTION") ?? defaultRetention
        guard retention > 0 else { return nil }
        // Daily, or four times per retention period when that is shorter (at least a second apart: a retention
        // of seconds only makes sense in tests).
        let every = min(86_400, max(1, retention / 4))
        return LedgerPruner(
            store: store, retention: retention, interval: .seconds(every), firstDelay: .seconds(min(every, 600)),
            logger: logger)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = firstDelay
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return
                }
                await pruneOnce()
                delay = interval
            }
        }
    }

    /// One prune now.
    @discardableResult
    func pruneOnce(now: Date = Date()) async -> EMStore.LedgerPrune? {
        let cutoff = now.timeIntervalSince1970 - retention
        do {
            let result = try await store.pruneLedger(
                recordedBefore: cutoff, detail: "files gone, recorded over \(Self.describe(retention)) ago")
            if result.total > 0 {
                logger.info(
                    "ledger pruned", metadata: ["rows": "\(result.total)", "triggers": "\(result.pruned.count)"])
            }
            return result
        } catch {
            logger.error("ledger prune failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// A retention in words: `30 d`, `12 h`, `90 s`.
    static func describe(_ seconds: Double) -> String {
        if seconds >= 86_400 && seconds.truncatingRemainder(dividingBy: 86_400) == 0 {
            return "\(Int(seconds / 86_400)) d"
        }
        if seconds >= 3_600 && seconds.truncatingRemainder(dividingBy: 3_600) == 0 {
            return "\(Int(seconds / 3_600)) h"
        }
        return String(format: "%g s", seconds)
    }
}
