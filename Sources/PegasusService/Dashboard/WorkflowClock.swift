#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Local date and time formatting with the C library (no Foundation formatter state to share between tasks).
enum WorkflowClock {
    /// `2024-08-01 02:00:00 CEST`: the timestamp in the server's local time zone.
    static func format(_ epoch: Double) -> String {
        var seconds = time_t(epoch.rounded(.down))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return String(epoch) }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S %Z", &parts)
        guard count > 0 else { return String(epoch) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
