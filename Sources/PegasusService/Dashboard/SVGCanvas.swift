import Foundation

/// An SVG drawing built on the server: every text is escaped for XML (through ``HTML/escape(_:)``), the number of
/// elements is capped (a chart never emits more than `cap` elements, whatever the data), and the result is an
/// inline `<svg>` element for an HTML page.
public struct SVGCanvas: Sendable {
    public let width: Double
    public let height: Double
    /// The most elements (start tags) the drawing may hold.
    public let cap: Int
    /// Start tags written so far (including the root `<svg>`, `<title>` and `<desc>`).
    public private(set) var elementCount = 3
    /// Elements left out because of the cap.
    public private(set) var dropped = 0
    private var body = ""

    /// The default element cap of the dashboard charts.
    public static let defaultCap = 5000

    public init(width: Double, height: Double, cap: Int = SVGCanvas.defaultCap) {
        self.width = width
        self.height = height
        self.cap = cap
        body.reserveCapacity(64 * 1024)
    }

    /// Whether `count` more elements fit under the cap.
    public func fits(_ count: Int) -> Bool { elementCount + count <= cap }

    /// Reserves `count` elements; false (and counted as dropped) when they do not fit.
    private mutating func take(_ count: Int) -> Bool {
        guard fits(count) else {
            dropped += count
            return false
        }
        elementCount += count
        return true
    }

    /// A rectangle, with an optional tooltip (`<title>` child).
    public mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String, title: String? = nil,
        stroke: String? = nil, opacity: Double? = nil
    ) {
        guard take(title == nil ? 1 : 2) else { return }
        body += "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(max(0, width)))\""
        body += " height=\"\(Self.number(max(0, height)))\" fill=\"\(HTML.escape(fill))\""
        if let stroke { body += " stroke=\"\(HTML.escape(stroke))\"" }
        if let opacity { body += " fill-opacity=\"\(Self.number(opacity, digits: 2))\"" }
        if let title {
            body += "><title>\(HTML.escape(title))</title></rect>"
        } else {
            body += "/>"
        }
    }

    /// A line.
    public mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#90a4ae", width: Double = 1,
        dashed: Bool = false
    ) {
        guard take(1) else { return }
        body += "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\""
        body += " y2=\"\(Self.number(y2))\" stroke=\"\(HTML.escape(stroke))\" stroke-width=\"\(Self.number(width))\""
        body += dashed ? " stroke-dasharray=\"3 3\"/>" : "/>"
    }

    /// Text (escaped), optionally rotated about its anchor point and with a tooltip.
    public mutating func text(
        _ text: String, x: Double, y: Double, anchor: String = "start", size: Double = 11,
        fill: String = "#263238", bold: Bool = false, rotate: Double? = nil, title: String? = nil
    ) {
        guard take(title == nil ? 1 : 2) else { return }
        body += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" text-anchor=\"\(HTML.escape(anchor))\""
        body += " font-size=\"\(Self.number(size))\" fill=\"\(HTML.escape(fill))\""
        if bold { body += " font-weight=\"bold\"" }
        if let rotate {
            body += " transform=\"rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))\""
        }
        body += ">"
        if let title { body += "<title>\(HTML.escape(title))</title>" }
        body += "\(HTML.escape(text))</text>"
    }

    /// A group of elements sharing one tooltip; `content` draws into this canvas. The group is left out
    /// entirely when its `minimumElements` do not fit.
    public mutating func group(title: String?, minimumElements: Int = 1, _ content: (inout SVGCanvas) -> Void) {
        guard fits((title == nil ? 1 : 2) + minimumElements) else {
            dropped += 1
            return
        }
        _ = take(title == nil ? 1 : 2)
        body += "<g>"
        if let title { body += "<title>\(HTML.escape(title))</title>" }
        content(&self)
        body += "</g>"
    }

    /// A legend entry: a colour swatch and its label.
    public mutating func legend(_ label: String, color: String, x: Double, y: Double) {
        rect(x: x, y: y - 9, width: 10, height: 10, fill: color)
        text(label, x: x + 14, y: y, size: 11)
    }

    /// The finished `<svg>` element with its accessible title and description.
    public func svg(title: String, description: String, id: String) -> HTML {
        let note = dropped > 0 ? " (\(dropped) elements left out: the chart is capped at \(cap) elements)" : ""
        return HTML(
            raw: """
                <svg xmlns="http://www.w3.org/2000/svg" id="\(HTML.escape(id))" role="img" \
                viewBox="0 0 \(Self.number(width)) \(Self.number(height))" width="\(Self.number(width))" \
                height="\(Self.number(height))" font-family="sans-serif"><title>\(HTML.escape(title))</title>\
                <desc>\(HTML.escape(description + note))</desc>\(body)</svg>
                """)
    }

    /// A coordinate with at most `digits` decimals and no trailing zeros (fast, locale independent).
    public static func number(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite else { return "0" }
        let scale = digits == 2 ? 100.0 : 10.0
        let scaled = (value * scale).rounded()
        guard abs(scaled) < 1e15 else { return String(Int64(value)) }
        let integer = Int64(scaled)
        let unit = Int64(scale)
        let whole = integer / unit
        var fraction = abs(integer % unit)
        if fraction == 0 { return (integer < 0 && whole == 0 ? "-" : "") + String(whole) }
        var text = (integer < 0 && whole == 0 ? "-" : "") + String(whole) + "."
        if digits == 2 {
            if fraction < 10 { text += "0" }
            if fraction % 10 == 0 { fraction /= 10 }
        }
        return text + String(fraction)
    }
}
