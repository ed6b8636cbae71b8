import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Formats epoch seconds the way Pegasus' `formatts` does: local time, `%Y-%m-%d %H:%M:%S %Z`.
///
/// Pegasus calls Python's `time.localtime` and `time.strftime`, which are the C library's `localtime_r` and
/// `strftime`. Using the same C calls gives the same zone abbreviations (`UTC`, `EST`, `CEST`), which Foundation's
/// `TimeZone.abbreviation` does not (it answers `GMT-5`).
public struct TimestampFormatter: Sendable {
    /// The zone to render in; `nil` is the process' local zone (`TZ`, else `/etc/localtime`), as in Pegasus.
    public let timeZoneIdentifier: String?

    /// Creates a formatter for the process' local zone.
    public init() {
        self.timeZoneIdentifier = nil
    }

    /// Creates a formatter for a given zone (tests, `--utc`-style overrides).
    public init(timeZone: TimeZone) {
        self.timeZoneIdentifier = timeZone.identifier
    }

    /// Creates a formatter for a zone given by its tz database name (`America/New_York`, `UTC`).
    public init(timeZoneIdentifier: String?) {
        self.timeZoneIdentifier = timeZoneIdentifier
    }

    /// Renders `epoch` seconds, rounded down to a whole second as Python's `time.localtime` does.
    public func string(from epoch: Double) -> String {
        // Beyond ±1e15 s (30 million years) the C library cannot render it anyway; never trap on a server's value.
        guard epoch.isFinite, abs(epoch) < 1e15 else { return String(epoch) }
        var seconds = time_t(epoch.rounded(.down))
        guard let identifier = timeZoneIdentifier else {
            return Self.render(&seconds)
        }
        return zoneLock.withLock { _ in
            // The C library only knows the process-wide TZ; switch it under a lock and put it back.
            let saved = getenv("TZ").map { String(cString: $0) }
            setenv("TZ", identifier, 1)
            tzset()
            defer {
                if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
                tzset()
            }
            return Self.render(&seconds)
        }
    }

    private static func render(_ seconds: inout time_t) -> String {
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return String(seconds) }
        var buffer = [CChar](repeating: 0, count: 128)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S %Z", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Serialises the TZ switch of ``TimestampFormatter`` for explicit zones.
private let zoneLock = Mutex(())

extension TimestampFormatter {
    /// Runs `body` while no formatter has `TZ` switched (tests read the process zone through it).
    static func withProcessZone<T>(_ body: () -> T) -> T {
        zoneLock.withLock { _ in body() }
    }
}
