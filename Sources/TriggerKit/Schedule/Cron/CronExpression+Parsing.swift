extension CronExpression {
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    struct FieldError: Error {
        var detail: String
    }

    struct FieldSpec: Sendable {
        var name: String
        var range: ClosedRange<Int>
        var names: [String: Int]
        var isDayOfWeek: Bool

        static let all: [FieldSpec] = [
            FieldSpec(name: "minute", range: 0...59, names: [:], isDayOfWeek: false),
            FieldSpec(name: "hour", range: 0...23, names: [:], isDayOfWeek: false),
            FieldSpec(name: "day-of-month", range: 1...31, names: [:], isDayOfWeek: false),
            FieldSpec(
                name: "month",
                range: 1...12,
                names: [
                    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
                    "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
                ],
                isDayOfWeek: false
            ),
            FieldSpec(
                name: "day-of-week",
                range: 0...7,
                names: ["SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6],
                isDayOfWeek: true
            ),
        ]

        func parse(_ text: String) throws(FieldError) -> (bits: UInt64, isStar: Bool) {
            var bits: UInt64 = 0
            for element in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard !element.isEmpty else { throw FieldError(detail: "empty list element") }
                let parts = element.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count <= 2 else { throw FieldError(detail: "'\(element)' has more than one '/'") }
                var step = 1
                if parts.count == 2 {
                    guard let value = Self.number(parts[1]), value > 0 else {
                        throw FieldError(detail: "step '\(parts[1])' must be a positive integer")
                    }
                    step = value
                }
                let base = parts[0]
                var low: Int
                var high: Int
                // `*` and `v/n` run up to Saturday in the day-of-week field, so that `1/2` does not add
                // Sunday as 7 (an explicit `1-7/2` does).
                let openEnd = isDayOfWeek ? 6 : range.upperBound
                if base == "*" {
                    (low, high) = (range.lowerBound, openEnd)
                } else if let dash = base.firstIndex(of: "-") {
                    low = try value(base[..<dash])
                    high = try value(base[base.index(after: dash)...])
                    // `FRI-SUN`: a day-of-week range may end in Sunday written as 0.
                    if isDayOfWeek, high == 0, low > 0 { high = 7 }
                    guard low <= high else {
                        throw FieldError(detail: "range start \(low) is greater than range end \(high)")
                    }
                } else {
                    low = try value(base)
                    high = parts.count == 2 ? Swift.max(low, openEnd) : low
                }
                for index in stride(from: low, through: high, by: step) {
                    bits |= 1 << UInt64(isDayOfWeek && index == 7 ? 0 : index)
                }
            }
            return (bits, text.hasPrefix("*"))
        }

        private func value(_ text: Substring) throws(FieldError) -> Int {
            if let number = Self.number(text) {
                guard range.contains(number) else {
                    throw FieldError(
                        detail: "\(text) is out of range \(range.lowerBound)-\(range.upperBound)"
                    )
                }
                return number
            }
            if let named = names[text.uppercased()] { return named }
            if text.isEmpty { throw FieldError(detail: "missing value in a range") }
            if names.isEmpty {
                throw FieldError(detail: "'\(text)' is not a number")
            }
            let examples = name == "month" ? "JAN-DEC" : "SUN-SAT"
            throw FieldError(detail: "'\(text)' is neither a number nor a name (\(examples))")
        }

        /// A non-negative decimal number of ASCII digits (saturating at `Int.max`, which is out of range).
        private static func number(_ text: Substring) -> Int? {
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(text) ?? Int.max
        }
    }
}
