/// HTML text that is safe by construction: interpolated strings are escaped, interpolated ``HTML`` values are
/// inserted as they are. Job output, labels, paths and arguments therefore cannot inject markup.
public struct HTML: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public private(set) var raw: String

    public init(raw: String) { self.raw = raw }

    public init(stringLiteral value: String) { raw = value }

    public init(stringInterpolation: Interpolation) { raw = stringInterpolation.raw }

    public var description: String { raw }

    public struct Interpolation: StringInterpolationProtocol {
        var raw = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            raw.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        public mutating func appendLiteral(_ literal: String) { raw += literal }

        /// Escaped text.
        public mutating func appendInterpolation(_ text: String) { raw += HTML.escape(text) }

        /// Escaped text, empty for nil.
        public mutating func appendInterpolation(_ text: String?) { raw += HTML.escape(text ?? "") }

        /// A number or other value, escaped through its description.
        public mutating func appendInterpolation<T: CustomStringConvertible>(_ value: T) {
            raw += HTML.escape(value.description)
        }

        /// Markup, as it is.
        public mutating func appendInterpolation(_ html: HTML) { raw += html.raw }

        /// A list of markup fragments, concatenated.
        public mutating func appendInterpolation(_ list: [HTML]) {
            for item in list { raw += item.raw }
        }
    }

    /// Concatenates fragments.
    public static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(raw: lhs.raw + rhs.raw) }

    public mutating func append(_ other: HTML) { raw += other.raw }

    /// Escapes `& < > " '` so the text is inert in element content and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
