import Foundation

/// Number and duration formatting exactly as `pegasus-statistics` and the Pegasus dashboard print them
/// (`Pegasus/plots_stats/utils.py`, `Pegasus/statistics.py`, `Pegasus/service/filters.py`), so that the pages
/// can be compared with the real tool's output line by line.
public enum StatisticsFormat {
    /// Python's `str(round(value, digits))` for a float: correctly rounded (printf rounds the exact binary
    /// value, like CPython's `round`), then the shortest representation that reads back (`repr`), e.g. `80.626`,
    /// `0.0`, `1e-05`.
    public static func pythonRound(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        let rounded = Double(String(format: "%.\(digits)f", value)) ?? value
        return pythonRepr(rounded)
    }

    /// Python's `repr(float)`: shortest round-trip digits, always with a decimal point or exponent,
    /// exponent form below 1e-4 and from 1e16 on.
    public static func pythonRepr(_ value: Double) -> String {
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let magnitude = abs(value)
        if magnitude >= 1e16 || magnitude < 1e-4 {
            // Swift prints 1e-05 as "1e-05" and 1e+16 as "1e+16", as Python does.
            return "\(value)"
        }
        let text = "\(value)"
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }

    /// `round_decimal_to_str(value, 3)` (`fstr` of pegasus-statistics): `-` for nil.
    public static func fstr(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value else { return "-" }
        return pythonRound(value, digits)
    }

    /// `pstr`: a percentage rounded to two digits, `-` for nil.
    public static func pstr(_ value: Double?) -> String {
        guard let value else { return "-" }
        return pythonRound(value, 2) + "%"
    }

    /// `format_seconds(duration, max_comp=2)` of pegasus-statistics: "2 hrs, 5 mins", "9 mins, 17 secs",
    /// "0.0 secs"; `-` for nil.
    /// - Parameter decimal: the value was a Python `Decimal` (sums of NUMERIC columns such as integrity
    ///   durations and workflow timestamps): sub-minute values then keep two decimals ("2.10 secs").
    public static func formatSeconds(_ duration: Double?, decimal: Bool = false) -> String {
        guard let duration, var sec = duration.boundedInt else { return "-" }
        let maxComponents = 2
        var components = 0
        let years = floorDiv(sec, 31_536_000)
        sec -= 31_536_000 * years
        let days = floorDiv(sec, 86400)
        sec -= 86400 * days
        let hours = floorDiv(sec, 3600)
        sec -= 3600 * hours
        let minutes = floorDiv(sec, 60)
        sec -= 60 * minutes
        var parts: [String] = []
        func add(_ value: Int, _ singular: String, _ plural: String) {
            if components < maxComponents && (value >= 1 || components > 0) {
                components += 1
                parts.append("\(value) \(value == 1 ? singular : plural)")
            }
        }
        add(years, "year", "years")
        add(days, "day", "days")
        add(hours, "hr", "hrs")
        add(minutes, "min", "mins")
        if components < maxComponents && (sec >= 0 || components > 0) {
            if parts.isEmpty {
                // Under a minute: the value rounded to two decimals (a float, or a Decimal keeping its digits).
                let text = decimal ? String(format: "%.2f", duration) : pythonRound(duration, 2)
                let isOne = (Double(text) ?? 0) == 1
                parts.append("\(text) \(isOne ? "sec" : "secs")")
            } else {
                parts.append("\(sec) \(sec == 1 ? "sec" : "secs")")
            }
        }
        return parts.joined(separator: ", ")
    }

    /// The dashboard's `time_to_str` filter (used by its JSON `/statistics/summary`): "2 hours 5 mins",
    /// "1 day 3 hours", "0 secs"; nil stays nil.
    public static func timeToString(_ time: Double?) -> String? {
        guard let time, var seconds = time.boundedInt else { return nil }
        var units = 0
        var text = ""
        if seconds >= 86400 {
            let days = seconds / 86400
            text += "\(days) \(days > 1 ? "days" : "day") "
            seconds %= 86400
            units += 1
        }
        if seconds >= 3600 {
            let hours = seconds / 3600
            text += "\(hours) \(hours > 1 ? "hours" : "hour") "
            seconds %= 3600
            units += 1
        }
        if seconds >= 60 && units < 2 {
            let minutes = seconds / 60
            text += "\(minutes) \(minutes > 1 ? "mins" : "min") "
            seconds %= 60
            units += 1
        }
        if seconds > 0 && units < 2 {
            text += "\(seconds) \(seconds > 1 ? "secs" : "sec") "
        }
        return text.isEmpty ? "0 secs" : String(text.dropLast())
    }

    /// `raw_to_regular`: a raw wait status (256) to an exit code (1); signals become negative, failures -128.
    public static func rawToRegular(_ raw: Int64?) -> Int64? {
        guard let raw else { return nil }
        if raw < 0 { return -128 }
        if raw & 127 > 0 { return -(raw & 127) }
        return raw >> 8
    }

    /// A compact number for chart labels and tooltips: integers without decimals, others with up to `digits`.
    public static func compact(_ value: Double, digits: Int = 2) -> String {
        guard value.isFinite else { return "-" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.\(digits)f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
