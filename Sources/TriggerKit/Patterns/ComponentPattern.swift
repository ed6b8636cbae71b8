/// One compiled path component: a sequence of tokens matched against one file or directory name.
struct ComponentPattern: Sendable, Hashable {
    enum Token: Sendable, Hashable {
        case scalar(Unicode.Scalar)
        case any
        case star
        case set(CharacterClass)
    }

    struct ParseError: Error {
        var problem: String

        func detail(component: String) -> String {
            "\(problem) in '\(component)'"
        }
    }

    let tokens: [Token]
    /// Whether `*`, `?` and `[...]` may match a leading `.` (only for ignore rules).
    let wildcardsMatchLeadingDot: Bool

    /// The unescaped text if the component has no wildcards.
    var literal: [Unicode.Scalar]? {
        var scalars: [Unicode.Scalar] = []
        for token in tokens {
            guard case .scalar(let scalar) = token else { return nil }
            scalars.append(scalar)
        }
        return scalars
    }

    init(_ scalars: [Unicode.Scalar], wildcardsMatchLeadingDot: Bool = false) throws(ParseError) {
        var tokens: [Token] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\\":
                guard index + 1 < scalars.count else {
                    throw ParseError(problem: "a lone '\\' at the end (write '\\\\' for a literal backslash)")
                }
                tokens.append(.scalar(scalars[index + 1]))
                index += 2
            case "*":
                if index + 1 < scalars.count, scalars[index + 1] == "*" {
                    throw ParseError(
                        problem: "'**' must be a whole path component (e.g. '/inputs/**/*.csv'), not part of a name"
                    )
                }
                tokens.append(.star)
                index += 1
            case "?":
                tokens.append(.any)
                index += 1
            case "[":
                let (set, next) = try CharacterClass.parse(scalars, openingAt: index)
                tokens.append(.set(set))
                index = next
            default:
                tokens.append(.scalar(scalar))
                index += 1
            }
        }
        self.tokens = tokens
        self.wildcardsMatchLeadingDot = wildcardsMatchLeadingDot
    }

    /// Whether a name matches, with the dotfile rule: unless allowed, a leading `.` must be matched by a
    /// literal `.`.
    func matches(_ name: [Unicode.Scalar]) -> Bool {
        if !wildcardsMatchLeadingDot, name.first == ".", tokens.first != .scalar(".") { return false }
        // Classic single-backtrack wildcard matching: every token except `*` consumes exactly one scalar.
        var tokenIndex = 0
        var nameIndex = 0
        var starToken: Int?
        var starName = 0
        while nameIndex < name.count {
            if tokenIndex < tokens.count {
                switch tokens[tokenIndex] {
                case .star:
                    starToken = tokenIndex
                    starName = nameIndex
                    tokenIndex += 1
                    continue
                case .any:
                    tokenIndex += 1
                    nameIndex += 1
                    continue
                case .scalar(let scalar) where scalar == name[nameIndex]:
                    tokenIndex += 1
                    nameIndex += 1
                    continue
                case .set(let set) where set.contains(name[nameIndex]):
                    tokenIndex += 1
                    nameIndex += 1
                    continue
                default:
                    break
                }
            }
            guard let star = starToken else { return false }
            // Let the last `*` swallow one more scalar and retry.
            starName += 1
            nameIndex = starName
            tokenIndex = star + 1
        }
        while tokenIndex < tokens.count, tokens[tokenIndex] == .star { tokenIndex += 1 }
        return tokenIndex == tokens.count
    }
}

/// A bracket expression such as `[a-z]`, `[!0-9]` or `[[:alpha:]_]`.
struct CharacterClass: Sendable, Hashable {
    enum Item: Sendable, Hashable {
        case scalar(Unicode.Scalar)
        case range(Unicode.Scalar, Unicode.Scalar)
        case named(String)
    }

    static let namedClasses: Set<String> = ["alpha", "digit", "alnum", "upper", "lower", "space", "punct", "xdigit"]

    var items: [Item]
    var negated: Bool

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let found = items.contains { item in
            switch item {
            case .scalar(let single): single == scalar
            case .range(let low, let high): low.value <= scalar.value && scalar.value <= high.value
            case .named(let name): Self.matches(named: name, scalar)
            }
        }
        return found != negated
    }

    private static func matches(named name: String, _ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        switch name {
        case "alpha": return properties.isAlphabetic
        case "digit": return ("0"..."9").contains(scalar)
        case "alnum": return properties.isAlphabetic || properties.numericType == .decimal
        case "upper": return properties.isUppercase
        case "lower": return properties.isLowercase
        case "space": return properties.isWhitespace
        case "punct":
            return scalar.isASCII && (0x21...0x7E).contains(scalar.value) && !properties.isAlphabetic
                && !("0"..."9").contains(scalar)
        case "xdigit":
            return ("0"..."9").contains(scalar) || ("a"..."f").contains(scalar) || ("A"..."F").contains(scalar)
        default: return false
        }
    }

    /// Parses the bracket expression whose `[` is at `start`; returns it and the index after its `]`.
    static func parse(
        _ scalars: [Unicode.Scalar],
        openingAt start: Int
    ) throws(ComponentPattern.ParseError) -> (CharacterClass, Int) {
        let unterminated = ComponentPattern.ParseError(problem: "an unterminated '[' (character class)")
        var index = start + 1
        var negated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            negated = true
            index += 1
        }
        var items: [Item] = []
        var first = true

        /// Reads one possibly escaped scalar at `index` and advances past it.
        func readScalar() throws(ComponentPattern.ParseError) -> Unicode.Scalar {
            guard index < scalars.count else { throw unterminated }
            if scalars[index] == "\\" {
                guard index + 1 < scalars.count else { throw unterminated }
                index += 2
                return scalars[index - 1]
            }
            index += 1
            return scalars[index - 1]
        }

        while true {
            guard index < scalars.count else { throw unterminated }
            let scalar = scalars[index]
            if scalar == "]" && !first {
                return (CharacterClass(items: items, negated: negated), index + 1)
            }
            first = false
            if scalar == "[", index + 1 < scalars.count, scalars[index + 1] == ":" {
                // A POSIX class such as `[:alpha:]`.
                var end = index + 2
                while end + 1 < scalars.count, !(scalars[end] == ":" && scalars[end + 1] == "]") { end += 1 }
                guard end + 1 < scalars.count else { throw unterminated }
                let name = String(String.UnicodeScalarView(scalars[(index + 2)..<end]))
                guard namedClasses.contains(name) else {
                    throw ComponentPattern.ParseError(
                        problem: "unknown character class '[:\(name):]' (known: "
                            + namedClasses.sorted().joined(separator: ", ") + ")"
                    )
                }
                items.append(.named(name))
                index = end + 2
                continue
            }
            let low = try readScalar()
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                index += 1
                let high = try readScalar()
                guard low.value <= high.value else {
                    throw ComponentPattern.ParseError(problem: "an invalid range '\(low)-\(high)' (start after end)")
                }
                items.append(.range(low, high))
            } else {
                items.append(.scalar(low))
            }
        }
    }
}
