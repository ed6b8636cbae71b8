/// Basename rules that exclude files from a file-pattern trigger even when a pattern matches them:
/// partial uploads, temporary files and hidden files.
///
/// The default ignores dotfiles (any name starting with `.`, which also covers rsync's `.name.XXXXXX`
/// temporaries) and the patterns `*.part` and `*.tmp`. Rules look at the file name (last component) only,
/// and they win over the trigger's patterns: with the default rules even `/in/.*` matches nothing, so
/// use `IgnoreRules(ignoresDotfiles: false, ...)` to collect dotfiles.
///
/// Ignore patterns use the component syntax of ``GlobPattern`` (`*`, `?`, `[...]`, escapes) but, unlike
/// trigger patterns, their wildcards also match a leading dot (`*.part` ignores `.x.part`).
public struct IgnoreRules: Sendable, Hashable {
    /// The patterns of the default rules: `*.part` and `*.tmp`.
    public static let defaultPatterns = ["*.part", "*.tmp"]
    /// Ignore dotfiles, `*.part` and `*.tmp`.
    public static let `default` = try! IgnoreRules(ignoresDotfiles: true, patterns: defaultPatterns)
    /// Ignore nothing.
    public static let none = try! IgnoreRules(ignoresDotfiles: false, patterns: [])

    /// Whether file names starting with `.` are ignored.
    public let ignoresDotfiles: Bool
    /// The basename patterns, as given.
    public let patterns: [String]
    private let compiled: [ComponentPattern]

    /// Creates rules.
    /// - Parameters:
    ///   - ignoresDotfiles: Whether to ignore names starting with `.` (default `true`).
    ///   - patterns: Basename patterns to ignore (default ``defaultPatterns``).
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/invalidFilePattern`` for an empty pattern,
    ///   one containing `/` or `**`, or a malformed one.
    public init(ignoresDotfiles: Bool = true, patterns: [String] = IgnoreRules.defaultPatterns) throws(TriggerError) {
        var compiled: [ComponentPattern] = []
        for pattern in patterns {
            func fail(_ detail: String) -> TriggerError {
                TriggerError(code: .invalidFilePattern, message: "invalid ignore pattern '\(pattern)': \(detail)")
            }
            guard !pattern.isEmpty else {
                throw TriggerError(code: .invalidFilePattern, message: "ignore patterns must not be empty")
            }
            guard !pattern.contains("/") else {
                throw fail("it must be a file name pattern without '/' (e.g. '*.part')")
            }
            guard !pattern.contains("**") else {
                throw fail("'**' is not allowed in ignore patterns (they match file names, not directories)")
            }
            do {
                compiled.append(try ComponentPattern(Array(pattern.unicodeScalars), wildcardsMatchLeadingDot: true))
            } catch {
                throw fail(error.detail(component: pattern))
            }
        }
        self.ignoresDotfiles = ignoresDotfiles
        self.patterns = patterns
        self.compiled = compiled
    }

    /// Whether the file at `path` is ignored, judged by its last component.
    public func ignores(_ path: String) -> Bool {
        // The last component, without splitting the whole path (a scan asks this for every file).
        let scalars = path.unicodeScalars
        let start = scalars.lastIndex(of: "/").map { scalars.index(after: $0) } ?? scalars.startIndex
        var name = Array(scalars[start...])
        if name.isEmpty { name = scalars.split(separator: "/").last.map(Array.init) ?? [] }
        guard !name.isEmpty else { return false }
        if ignoresDotfiles, name.first == "." { return true }
        return compiled.contains { $0.matches(name) }
    }
}
