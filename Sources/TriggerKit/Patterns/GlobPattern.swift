/// An absolute file pattern of a file-pattern trigger, such as `/inputs/*.txt` or `/data/**/*.csv`.
///
/// **Syntax** (per path component, components separated by `/`):
/// - `*` matches any run of characters (possibly empty) within one component; it never crosses `/`.
/// - `?` matches exactly one character.
/// - `[...]` matches one character from a set: single characters, ranges (`[a-z]`), POSIX classes
///   (`[[:digit:]]`; `alpha`, `digit`, `alnum`, `upper`, `lower`, `space`, `punct`, `xdigit`), negated with
///   a leading `!` or `^` (`[!0-9]`). A `]` right after the opening `[` (or `[!`) is a literal `]`.
/// - `\` escapes the next character (`\*`, `\?`, `\[`, `\\`), also inside `[...]`.
/// - `**` as a whole component matches zero or more directories (`/in/**/*.csv` matches `/in/a.csv` and
///   `/in/x/y/a.csv`). As the last component it matches any file at any depth (`/in/**`).
///   `**` inside a component (`a**b`) is an error.
///
/// **Dotfiles.** `*`, `?`, `[...]` and `**` never match a component that starts with `.`; only a pattern
/// component that itself starts with a literal `.` does (`/in/.*`). Like Python's `glob` and bash.
///
/// **Matching** works on Unicode scalars, without normalization: the file system treats differently
/// normalized names as different files, and so do we.
///
/// Patterns must be absolute, must not end with `/`, and must not contain empty (`//`), `.` or `..`
/// components. ``IgnoreRules`` are applied on top by ``FilePatternSet``.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as given.
    public let pattern: String
    /// The directory to watch: the longest leading run of literal (wildcard-free) components, not counting
    /// the last component (escapes removed). `/` for `/*.txt`.
    public let root: String
    /// How many directory levels below ``root`` a matching file can be: 0 for `/in/*.txt`, 1 for
    /// `/in/*/x.txt`, `Int.max` if the pattern contains `**`.
    public let depth: Int
    private let components: [Component]

    /// The message Pegasus-compatible callers show for a relative pattern.
    public static let relativePatternMessage =
        "each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')"

    /// Parses and validates an absolute pattern.
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/invalidFilePattern``: for a relative pattern
    ///   with ``relativePatternMessage``, otherwise with `invalid file pattern '<pattern>': <reason>`.
    public init(_ pattern: String) throws(TriggerError) {
        func fail(_ detail: String) -> TriggerError {
            TriggerError(code: .invalidFilePattern, message: "invalid file pattern '\(pattern)': \(detail)")
        }
        guard !pattern.isEmpty else {
            throw TriggerError(code: .invalidFilePattern, message: "file pattern must not be empty")
        }
        guard pattern.hasPrefix("/") else {
            throw TriggerError(code: .invalidFilePattern, message: Self.relativePatternMessage)
        }
        guard !pattern.hasSuffix("/") else {
            throw fail("it must not end with '/' (it has to match files, e.g. '/inputs/*')")
        }
        let texts = pattern.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var components: [Component] = []
        for text in texts {
            let scalars = Array(text)
            guard !scalars.isEmpty else { throw fail("it must not contain an empty path component ('//')") }
            if scalars == ["."] || scalars == [".", "."] {
                throw fail("it must not contain '.' or '..' components")
            }
            if scalars == ["*", "*"] {
                components.append(.globstar)
                continue
            }
            do {
                let compiled = try ComponentPattern(scalars)
                if let literal = compiled.literal {
                    components.append(.literal(literal))
                } else {
                    components.append(.wildcard(compiled))
                }
            } catch {
                throw fail(error.detail(component: String(String.UnicodeScalarView(scalars))))
            }
        }

        var rootParts: [String] = []
        for component in components.dropLast() {
            guard case .literal(let scalars) = component else { break }
            rootParts.append(String(String.UnicodeScalarView(scalars)))
        }
        self.pattern = pattern
        self.components = components
        self.root = "/" + rootParts.joined(separator: "/")
        if components.contains(.globstar) {
            self.depth = Int.max
        } else {
            self.depth = components.count - rootParts.count - 1
        }
    }

    /// The pattern as given.
    public var description: String { pattern }

    /// Whether the pattern contains `**`.
    public var isRecursive: Bool { depth == Int.max }

    /// Whether an absolute path matches the pattern. Relative paths, paths ending in `/` and paths with
    /// empty components never match.
    public func matches(_ absolutePath: String) -> Bool {
        if !isRecursive { return matchesFixedDepth(absolutePath) }
        guard let parts = Self.pathComponents(absolutePath), !parts.isEmpty else { return false }
        return run(parts).contains(components.count)
    }

    /// Whether files strictly below `directory` (at any depth) could match: lets a watcher skip
    /// directories that cannot lead to a match. `directory` is absolute; `/` is the file-system root.
    public func mayContainMatches(directory: String) -> Bool {
        let trimmed = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        guard let parts = trimmed == "/" ? [] : Self.pathComponents(trimmed) else { return false }
        return run(parts).contains { $0 < components.count }
    }

    // MARK: - Matching

    /// ``matches(_:)`` for a pattern without `**`: one component per path component, in order, without building
    /// the automaton's state sets (a scan asks this for every file it finds).
    private func matchesFixedDepth(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        var index = 0
        for part in path.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard index < components.count, !part.isEmpty else { return false }
            switch components[index] {
            case .literal(let literal):
                guard literal.elementsEqual(part) else { return false }
            case .wildcard(let compiled):
                guard compiled.matches(Array(part)) else { return false }
            case .globstar:
                return false
            }
            index += 1
        }
        return index == components.count
    }

    private enum Component: Sendable, Hashable {
        case literal([Unicode.Scalar])
        case wildcard(ComponentPattern)
        case globstar
    }

    /// Splits an absolute path into components, or returns `nil` for a relative path or empty components.
    private static func pathComponents(_ path: String) -> [[Unicode.Scalar]]? {
        guard path.hasPrefix("/") else { return nil }
        let parts = path.unicodeScalars.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var result: [[Unicode.Scalar]] = []
        for part in parts {
            guard !part.isEmpty else { return nil }
            result.append(Array(part))
        }
        return result
    }

    /// Runs the component automaton over `parts` and returns the reachable states: state `i` means the
    /// first `i` pattern components have matched; `components.count` means the whole pattern has.
    private func run(_ parts: [[Unicode.Scalar]]) -> Set<Int> {
        var states = closure([0])
        for part in parts {
            var next: Set<Int> = []
            for state in states where state < components.count {
                switch components[state] {
                case .globstar:
                    guard part.first != "." else { continue }
                    next.insert(state)
                    // A trailing `**` must consume at least one component (the file itself).
                    if state == components.count - 1 { next.insert(state + 1) }
                case .literal(let literal):
                    if literal == part { next.insert(state + 1) }
                case .wildcard(let compiled):
                    if compiled.matches(part) { next.insert(state + 1) }
                }
            }
            states = closure(next)
            if states.isEmpty { break }
        }
        return states
    }

    /// Adds the states reachable by letting a non-trailing `**` match zero directories.
    private func closure(_ states: Set<Int>) -> Set<Int> {
        var result = states
        var pending = Array(states)
        while let state = pending.popLast() {
            if state < components.count - 1, components[state] == .globstar, !result.contains(state + 1) {
                result.insert(state + 1)
                pending.append(state + 1)
            }
        }
        return result
    }
}
