/// A directory a file-pattern trigger has to watch, with how many levels below it matches can be.
///
/// The depth has the same meaning as in the `Watchers` module's `WatchRoot` (0 = files directly in `path`,
/// `Int.max` = the whole tree), so converting is `WatchRoot(path: root.path, depth: root.depth)`.
public struct PatternRoot: Sendable, Hashable, CustomStringConvertible {
    /// The absolute directory.
    public var path: String
    /// Levels below ``path`` that need watching: 0 for the directory itself only, `Int.max` for all.
    public var depth: Int

    /// Creates a watch root.
    public init(path: String, depth: Int) {
        self.path = path
        self.depth = depth
    }

    /// `path` with its depth, e.g. `/in (depth 1)` or `/in (recursive)`.
    public var description: String {
        depth == Int.max ? "\(path) (recursive)" : "\(path) (depth \(depth))"
    }
}

/// The file patterns of one trigger together with its ignore rules.
public struct FilePatternSet: Sendable, Hashable {
    /// The patterns, in the order given.
    public let patterns: [GlobPattern]
    /// The rules applied on top of the patterns.
    public let ignoreRules: IgnoreRules

    /// Parses a trigger's patterns.
    /// - Throws: ``TriggerError`` with code ``TriggerError/Code/invalidFilePattern``: Pegasus' message
    ///   `file_patterns must contain at least one file pattern` for an empty list, otherwise the first
    ///   pattern's error.
    public init(_ patterns: [String], ignoreRules: IgnoreRules = .default) throws(TriggerError) {
        guard !patterns.isEmpty else {
            throw TriggerError(
                code: .invalidFilePattern,
                message: "file_patterns must contain at least one file pattern"
            )
        }
        var parsed: [GlobPattern] = []
        for pattern in patterns { parsed.append(try GlobPattern(pattern)) }
        self.patterns = parsed
        self.ignoreRules = ignoreRules
    }

    /// Whether `path` matches any pattern and is not ignored.
    public func matches(_ path: String) -> Bool {
        patterns.contains { $0.matches(path) } && !ignoreRules.ignores(path)
    }

    /// Whether files below `directory` could match any pattern (see ``GlobPattern/mayContainMatches(directory:)``).
    public func mayContainMatches(directory: String) -> Bool {
        patterns.contains { $0.mayContainMatches(directory: directory) }
    }

    /// The directories to watch, sorted by path: one per distinct pattern root with the largest depth
    /// needed, leaving out roots already covered by another root's depth.
    public var watchRoots: [PatternRoot] {
        var depths: [String: Int] = [:]
        for pattern in patterns { depths[pattern.root] = max(depths[pattern.root] ?? 0, pattern.depth) }
        let roots = depths.map { PatternRoot(path: $0.key, depth: $0.value) }.sorted { $0.path < $1.path }
        return roots.filter { inner in
            !roots.contains { outer in
                guard outer.path != inner.path, let levels = Self.levels(of: inner.path, below: outer.path) else {
                    return false
                }
                return outer.depth == Int.max || (inner.depth != Int.max && levels + inner.depth <= outer.depth)
            }
        }
    }

    /// How many directory levels `path` lies below `ancestor`, or `nil` if it is not below it.
    private static func levels(of path: String, below ancestor: String) -> Int? {
        let prefix = ancestor == "/" ? "/" : ancestor + "/"
        guard path.hasPrefix(prefix), path.count > prefix.count else { return nil }
        return path.dropFirst(prefix.count).split(separator: "/").count
    }
}
