#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Double {
    /// The value rounded toward zero as an `Int` when it is finite and within ±9e15 (far beyond any timestamp,
    /// duration or count the databases hold); nil otherwise, so that a corrupt or hostile value stored in a
    /// user's database can never trap the service.
    var boundedInt: Int? {
        isFinite && self > -9e15 && self < 9e15 ? Int(rounded(.towardZero)) : nil
    }
}

/// Local date and time formatting with the C library (no Foundation formatter state to share between tasks).
enum WorkflowClock {
    /// `2024-08-01 02:00:00 CEST`: the timestamp in the server's local time zone.
    static func format(_ epoch: Double) -> String {
        guard let whole = epoch.boundedInt else { return String(epoch) }
        var seconds = time_t(whole)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return String(epoch) }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S %Z", &parts)
        guard count > 0 else { return String(epoch) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
