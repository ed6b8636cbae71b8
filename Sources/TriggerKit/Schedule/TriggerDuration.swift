/// A positive whole number of seconds written in Pegasus' duration grammar, e.g. `10s`, `5 m` or `1h30m`.
///
/// Pegasus 5.1 (`to_seconds`) strips the text, then requires a full match of `\d+ *[sSmMhHdD]`:
/// an unsigned decimal integer, optional spaces, and one unit letter in either case
/// (`s` = 1, `m` = 60, `h` = 3600, `d` = 86400). The result must be greater than 0.
/// So `10s`, `10 s`, `10  m`, `010s`, `10S` and ` 5m ` are accepted, while `1.5h`, `10sec`, `-1s`,
/// `""` and `1` are rejected.
///
/// On top of that we accept compound durations: several `<int> <unit>` components separated by optional
/// spaces, such as `1h30m`, `2d 4h` or `1h 30m 15s`. The units of a compound duration must appear in
/// decreasing order (`d`, `h`, `m`, `s`) and at most once each, so typos like `30m1h` or `1h1h` are
/// rejected. A single component is not range-limited (`90m` is fine), and neither are the components of
/// a compound duration (`1h90m` = 9000 s).
///
/// Deliberate differences from Python: only ASCII digits are accepted (Python's `\d` also takes other
/// Unicode decimal digits), and values that overflow a 64-bit second count are rejected instead of
/// producing arbitrarily large integers.
public struct TriggerDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The length in seconds; always greater than 0.
    public let seconds: Int

    /// Creates a duration from a number of seconds, or returns `nil` unless `seconds > 0`.
    public init?(seconds: Int) {
        guard seconds > 0 else { return nil }
        self.seconds = seconds
    }

    /// Parses `text` with ``parse(_:field:)``.
    /// - Parameters:
    ///   - text: The duration as the user wrote it.
    ///   - field: The name of the field, used in the error message (e.g. `interval`, `timeout`).
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/invalidDuration`` and the Pegasus message.
    public init(_ text: String, field: String = "duration") throws(TriggerError) {
        self.seconds = try Self.parse(text, field: field)
    }

    /// Decodes a duration from either a number of seconds or a duration string such as `"1h30m"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Int.self) {
            guard let value = TriggerDuration(seconds: seconds) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: Self.errorMessage(field: "duration")
                )
            }
            self = value
        } else {
            let text = try container.decode(String.self)
            do {
                self = try TriggerDuration(text)
            } catch {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
            }
        }
    }

    /// Encodes the duration as its number of seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(seconds)
    }

    /// The duration as a Swift `Duration`.
    public var duration: Duration { .seconds(seconds) }

    /// The canonical text, e.g. `1h30m` (see ``format(seconds:)``).
    public var description: String { Self.format(seconds: seconds) }

    /// Orders durations by length.
    public static func < (lhs: TriggerDuration, rhs: TriggerDuration) -> Bool {
        lhs.seconds < rhs.seconds
    }

    /// The Pegasus error message for an invalid duration in `field`:
    /// `` <field> must be given as `<int> <s|m|h|d>` and be greater than 0 seconds ``.
    public static func errorMessage(field: String) -> String {
        "\(field) must be given as `<int> <s|m|h|d>` and be greater than 0 seconds"
    }

    /// Parses a duration and returns its length in seconds.
    ///
    /// - Parameters:
    ///   - text: The duration, e.g. `10s`, ` 5 m `, `1h30m` or `2d 4h`.
    ///   - field: The name of the field, used in the error message (e.g. `interval`, `timeout`).
    /// - Returns: The number of seconds, always greater than 0.
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/invalidDuration`` and the message
    ///   ``errorMessage(field:)``.
    public static func parse(_ text: String, field: String) throws(TriggerError) -> Int {
        guard let seconds = scan(Array(text.unicodeScalars)), seconds > 0 else {
            throw TriggerError(code: .invalidDuration, message: errorMessage(field: field))
        }
        return seconds
    }

    /// Renders a number of seconds in the compound form that ``parse(_:field:)`` accepts.
    ///
    /// Units are emitted from days down to seconds, zero components are left out, and there are no spaces:
    /// `5400` → `1h30m`, `10` → `10s`, `86400` → `1d`, `90061` → `1d1h1m1s`. `0` renders as `0s`, and a
    /// negative count gets a leading `-` (neither of those parses back, as durations must be positive).
    public static func format(seconds: Int) -> String {
        if seconds == 0 { return "0s" }
        var rest = seconds.magnitude
        var text = seconds < 0 ? "-" : ""
        for (unit, size) in units {
            let count = rest / UInt(size)
            rest %= UInt(size)
            if count > 0 { text += "\(count)\(unit)" }
        }
        return text
    }

    // MARK: - Private

    /// Units from largest to smallest with their sizes in seconds.
    private static let units: [(Character, Int)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]

    /// Returns the total number of seconds, or `nil` if the text does not follow the grammar or overflows.
    private static func scan(_ scalars: [Unicode.Scalar]) -> Int? {
        var start = 0
        var end = scalars.count
        while start < end, isPythonWhitespace(scalars[start]) { start += 1 }
        while end > start, isPythonWhitespace(scalars[end - 1]) { end -= 1 }
        guard start < end else { return nil }

        var index = start
        var total = 0
        var previousUnitRank = Int.max
        while index < end {
            // Spaces are allowed between components (but not before the first: the text is stripped).
            while index < end, scalars[index] == " " { index += 1 }
            // Digits: at least one.
            var value = 0
            let digitsStart = index
            while index < end, let digit = asciiDigit(scalars[index]) {
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(digit)
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                index += 1
            }
            guard index > digitsStart else { return nil }
            // ` *` between the number and its unit, exactly as Pegasus allows.
            while index < end, scalars[index] == " " { index += 1 }
            guard index < end, let rank = unitRank(scalars[index]) else { return nil }
            index += 1
            // Compound components must use distinct units in decreasing order.
            guard rank < previousUnitRank else { return nil }
            previousUnitRank = rank
            let (product, overflow1) = value.multipliedReportingOverflow(by: units[units.count - 1 - rank].1)
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow1, !overflow2 else { return nil }
            total = sum
        }
        return total
    }

    /// Ranks units so that a larger unit has a larger rank: `s` 0, `m` 1, `h` 2, `d` 3.
    private static func unitRank(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar {
        case "s", "S": 0
        case "m", "M": 1
        case "h", "H": 2
        case "d", "D": 3
        default: nil
        }
    }

    private static func asciiDigit(_ scalar: Unicode.Scalar) -> Int? {
        guard scalar.value >= 0x30, scalar.value <= 0x39 else { return nil }
        return Int(scalar.value - 0x30)
    }

    /// Whitespace as Python's `str.strip()` sees it: Unicode `White_Space` plus the separators U+001C–U+001F.
    private static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }
}
