import Foundation
import Synchronization

/// Liveness of the background services: each reports its cycles, and `/health` shows the last one.
public final class HealthRegistry: Sendable {
    /// One service's last cycle.
    public struct Entry: Sendable, Equatable {
        public var lastCycle: Double?
        public var lastError: String?
        public var cycles: Int
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Registers a service before its first cycle, so `/health` lists it from the start.
    public func register(_ name: String) {
        entries.withLock { $0[name] = $0[name] ?? Entry(lastCycle: nil, lastError: nil, cycles: 0) }
    }

    /// Records a finished cycle, with the error it ended with, if any.
    public func cycle(_ name: String, error: String? = nil) {
        let now = Date().timeIntervalSince1970
        entries.withLock {
            var e = $0[name] ?? Entry(lastCycle: nil, lastError: nil, cycles: 0)
            e.lastCycle = now
            e.lastError = error
            e.cycles += 1
            $0[name] = e
        }
    }

    /// All entries.
    public func snapshot() -> [String: Entry] { entries.withLock { $0 } }
}
