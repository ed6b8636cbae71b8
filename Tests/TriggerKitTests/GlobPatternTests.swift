import Testing
import TriggerKit

struct GlobPatternTests {
    func glob(_ pattern: String) throws -> GlobPattern {
        try GlobPattern(pattern)
    }

    // MARK: - Root and depth

    @Test(
        "root is the leading literal directory and depth the levels below it",
        arguments: [
            ("/in/*", "/in", 0), ("/in/*.txt", "/in", 0), ("/in/*/x.txt", "/in", 1), ("/in/**/*.csv", "/in", Int.max),
            ("/*.txt", "/", 0), ("/in/data.txt", "/in", 0), ("/a/b/c/*.dat", "/a/b/c", 0),
            ("/in/a*/b/*.txt", "/in", 2), ("/in/**", "/in", Int.max), ("/**/x", "/", Int.max),
            ("/in/\\*weird/*.txt", "/in/*weird", 0), ("/in/[ab]/x/y.txt", "/in", 2),
            ("/data/run?/*/out.csv", "/data", 2),
            ("/x/y/**/z/*.csv", "/x/y", Int.max),
        ] as [(String, String, Int)]
    )
    func rootAndDepth(pattern: String, root: String, depth: Int) throws {
        let parsed = try glob(pattern)
        #expect(parsed.root == root)
        #expect(parsed.depth == depth)
        #expect(parsed.isRecursive == (depth == Int.max))
        #expect(parsed.description == pattern)
    }

    // MARK: - Matching

    @Test(
        "matching table",
        arguments: [
            // `*` within one component, never across `/`.
            ("/in/*", "/in/a.txt", true), ("/in/*", "/in/sub/a.txt", false), ("/in/*", "/in", false),
            ("/in/*", "/other/a.txt", false), ("/in/*", "/in/", false), ("/in/*", "in/a.txt", false),
            ("/in/*.txt", "/in/.txt", false), ("/in/*.txt", "/in/a.txt.part", false), ("/in/*.txt", "/in/b.TXT", false),
            ("/in/*.txt", "/in/x.txt", true), ("/in/a*b*c", "/in/abc", true), ("/in/a*b*c", "/in/aXbYbZc", true),
            ("/in/a*b*c", "/in/aXbYbZ", false), ("/in/*a*", "/in/a", true), ("/in/*", "/in//a", false),
            // One directory level.
            ("/in/*/x.txt", "/in/d/x.txt", true), ("/in/*/x.txt", "/in/x.txt", false),
            ("/in/*/x.txt", "/in/d/e/x.txt", false), ("/in/*/x.txt", "/in/.hidden/x.txt", false),
            // `**`: zero or more directories.
            ("/in/**/*.csv", "/in/a.csv", true), ("/in/**/*.csv", "/in/x/y/a.csv", true),
            ("/in/**/*.csv", "/in/x/a.csv", true), ("/in/**/*.csv", "/in/x/y/a.txt", false),
            ("/in/**/*.csv", "/in/.git/a.csv", false), ("/in/**/*.csv", "/in/x/.cache/a.csv", false),
            ("/in/**/*.csv", "/in/x/.a.csv", false), ("/in/**/*.csv", "/elsewhere/a.csv", false),
            ("/in/**", "/in/a", true), ("/in/**", "/in/a/b/c", true), ("/in/**", "/in", false),
            ("/in/**", "/in/.a", false), ("/**/x", "/x", true), ("/**/x", "/a/b/x", true),
            ("/a/**/b/**/c", "/a/b/c", true), ("/a/**/b/**/c", "/a/1/2/b/3/c", true), ("/a/**/b/**/c", "/a/1/c", false),
            ("/a/**/**/c", "/a/c", true), ("/a/**/**/c", "/a/x/y/z/c", true),
            // `?` is exactly one character.
            ("/in/file?.txt", "/in/file1.txt", true), ("/in/file?.txt", "/in/file.txt", false),
            ("/in/file?.txt", "/in/file12.txt", false), ("/in/?", "/in/é", true), ("/in/?", "/in/.", false),
            // Character classes.
            ("/in/[abc].txt", "/in/b.txt", true), ("/in/[abc].txt", "/in/d.txt", false),
            ("/in/[a-c]x", "/in/bx", true), ("/in/[a-c]x", "/in/dx", false),
            ("/in/[!a-c]x", "/in/dx", true), ("/in/[!a-c]x", "/in/ax", false), ("/in/[^a-c]x", "/in/dx", true),
            ("/in/[]]x", "/in/]x", true), ("/in/[!]]x", "/in/]x", false), ("/in/[!]]x", "/in/ax", true),
            ("/in/[a-]x", "/in/-x", true), ("/in/[a-]x", "/in/ax", true),
            ("/in/[[:digit:]]*", "/in/7days", true), ("/in/[[:digit:]]*", "/in/days", false),
            ("/in/[[:alpha:]_]x", "/in/_x", true), ("/in/[[:upper:]]x", "/in/ax", false),
            ("/in/[\\]]x", "/in/]x", true), ("/in/[.]x", "/in/.x", false),
            // Dotfiles need a literal leading dot in the pattern.
            ("/in/.*", "/in/.env", true), ("/in/.*", "/in/env", false), ("/in/\\.*", "/in/.env", true),
            ("/in/.hidden/*.txt", "/in/.hidden/a.txt", true), ("/in/*", "/in/.env", false),
            // Escapes.
            ("/in/\\*.txt", "/in/*.txt", true), ("/in/\\*.txt", "/in/a.txt", false),
            ("/in/a\\?", "/in/a?", true), ("/in/a\\?", "/in/ab", false), ("/in/\\[x]", "/in/[x]", true),
            ("/in/a\\\\b", "/in/a\\b", true),
            // Literal patterns and Unicode (no normalization: NFC and NFD names are different files).
            ("/in/data.txt", "/in/data.txt", true), ("/in/data.txt", "/in/data.txt2", false),
            ("/in/caf\u{E9}", "/in/caf\u{E9}", true), ("/in/caf\u{E9}", "/in/cafe\u{301}", false),
            ("/in/caf?", "/in/cafe\u{301}", false), ("/in/caf??", "/in/cafe\u{301}", true),
        ]
    )
    func matching(pattern: String, path: String, matches: Bool) throws {
        #expect(try glob(pattern).matches(path) == matches)
    }

    @Test("matching is linear enough for pathological patterns")
    func pathological() throws {
        let pattern = try glob("/in/" + String(repeating: "a*", count: 20) + "b")
        #expect(!pattern.matches("/in/" + String(repeating: "a", count: 200)))
        #expect(pattern.matches("/in/" + String(repeating: "a", count: 200) + "b"))
        let stars = try glob("/" + Array(repeating: "**", count: 30).joined(separator: "/") + "/x")
        #expect(stars.matches("/" + Array(repeating: "d", count: 100).joined(separator: "/") + "/x"))
        #expect(!stars.matches("/" + Array(repeating: "d", count: 100).joined(separator: "/") + "/y"))
    }

    @Test(
        "mayContainMatches tells a watcher which directories can hold matches",
        arguments: [
            ("/in/*.txt", "/in", true), ("/in/*.txt", "/in/", true), ("/in/*.txt", "/in/sub", false),
            ("/in/*.txt", "/", true), ("/in/*.txt", "/other", false),
            ("/in/a*/b/*.txt", "/in/abc", true), ("/in/a*/b/*.txt", "/in/xyz", false),
            ("/in/a*/b/*.txt", "/in/abc/b", true),
            ("/in/a*/b/*.txt", "/in/abc/c", false), ("/in/a*/b/*.txt", "/in/abc/b/d", false),
            ("/in/**/*.csv", "/in/x/y/z", true), ("/in/**/*.csv", "/in/.git", false), ("/in/**/*.csv", "/out", false),
            ("/in/**", "/in/x", true), ("/in/*/x.txt", "/in/.hidden", false), ("/in/*", "relative", false),
        ]
    )
    func mayContainMatches(pattern: String, directory: String, expected: Bool) throws {
        #expect(try glob(pattern).mayContainMatches(directory: directory) == expected)
    }

    // MARK: - Validation

    @Test(
        "invalid patterns are rejected with a clear message",
        arguments: [
            ("", "file pattern must not be empty"),
            ("inputs/*.txt", "each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')"),
            ("*.txt", "each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')"),
            ("~/in/*.txt", "each file pattern must be given as an absolute path (e.g. '/inputs/*.txt')"),
            ("/in/", "invalid file pattern '/in/': it must not end with '/' (it has to match files, e.g. '/inputs/*')"),
            ("/", "invalid file pattern '/': it must not end with '/' (it has to match files, e.g. '/inputs/*')"),
            ("/in//x.txt", "invalid file pattern '/in//x.txt': it must not contain an empty path component ('//')"),
            ("/in/../x.txt", "invalid file pattern '/in/../x.txt': it must not contain '.' or '..' components"),
            ("/in/./x.txt", "invalid file pattern '/in/./x.txt': it must not contain '.' or '..' components"),
            ("/in/[ab.txt", "invalid file pattern '/in/[ab.txt': an unterminated '[' (character class) in '[ab.txt'"),
            ("/in/[]", "invalid file pattern '/in/[]': an unterminated '[' (character class) in '[]'"),
            ("/in/[!]", "invalid file pattern '/in/[!]': an unterminated '[' (character class) in '[!]'"),
            ("/in/[a/b]/x", "invalid file pattern '/in/[a/b]/x': an unterminated '[' (character class) in '[a'"),
            (
                "/in/a**b",
                "invalid file pattern '/in/a**b': '**' must be a whole path component (e.g. '/inputs/**/*.csv'), not part of a name in 'a**b'"
            ),
            (
                "/in/**.csv",
                "invalid file pattern '/in/**.csv': '**' must be a whole path component (e.g. '/inputs/**/*.csv'), not part of a name in '**.csv'"
            ),
            (
                "/in/***",
                "invalid file pattern '/in/***': '**' must be a whole path component (e.g. '/inputs/**/*.csv'), not part of a name in '***'"
            ),
            (
                "/in/x\\",
                "invalid file pattern '/in/x\\': a lone '\\' at the end (write '\\\\' for a literal backslash) in 'x\\'"
            ),
            ("/in/[z-a]", "invalid file pattern '/in/[z-a]': an invalid range 'z-a' (start after end) in '[z-a]'"),
            (
                "/in/[[:word:]]",
                "invalid file pattern '/in/[[:word:]]': unknown character class '[:word:]' (known: alnum, alpha, digit, lower, punct, space, upper, xdigit) in '[[:word:]]'"
            ),
        ]
    )
    func invalid(pattern: String, message: String) {
        let error = #expect(throws: TriggerError.self) { try GlobPattern(pattern) }
        #expect(error?.code == .invalidFilePattern)
        #expect(error?.message == message)
    }

    // MARK: - Ignore rules

    @Test(
        "default ignore rules skip dotfiles, *.part and *.tmp",
        arguments: [
            ("/in/a.txt", false), ("/in/.a.txt", true), ("/in/.rsync.XyZ123", true), ("/in/a.txt.part", true),
            ("/in/a.tmp", true), ("/in/a.TMP", false), ("/in/a.part.txt", false), ("/in/.hidden/a.txt", false),
            ("a.part", true), ("/", false),
        ]
    )
    func defaultIgnoreRules(path: String, ignored: Bool) {
        #expect(IgnoreRules.default.ignores(path) == ignored)
    }

    @Test("ignore rules are configurable, and their wildcards match a leading dot")
    func customIgnoreRules() throws {
        let rules = try IgnoreRules(ignoresDotfiles: false, patterns: ["*.part", "~*", "[0-9]*.log"])
        #expect(rules.ignores("/in/.x.part"))
        #expect(!rules.ignores("/in/.env"))
        #expect(rules.ignores("/in/~lock"))
        #expect(rules.ignores("/in/7.log"))
        #expect(!rules.ignores("/in/a.tmp"))
        #expect(rules.patterns == ["*.part", "~*", "[0-9]*.log"])
        #expect(!IgnoreRules.none.ignores("/in/.x.part"))
        #expect(IgnoreRules.default.patterns == ["*.part", "*.tmp"])
        #expect(IgnoreRules.default.ignoresDotfiles)
    }

    @Test(
        "invalid ignore patterns are rejected",
        arguments: [
            ("", "ignore patterns must not be empty"),
            (
                "a/*.part",
                "invalid ignore pattern 'a/*.part': it must be a file name pattern without '/' (e.g. '*.part')"
            ),
            (
                "**",
                "invalid ignore pattern '**': '**' is not allowed in ignore patterns (they match file names, not directories)"
            ),
            ("[x", "invalid ignore pattern '[x': an unterminated '[' (character class) in '[x'"),
        ]
    )
    func invalidIgnorePatterns(pattern: String, message: String) {
        let error = #expect(throws: TriggerError.self) { try IgnoreRules(patterns: [pattern]) }
        #expect(error?.message == message)
    }

    // MARK: - Pattern sets

    @Test("a pattern set matches any of its patterns, minus ignored files")
    func patternSet() throws {
        let set = try FilePatternSet(["/in/*.txt", "/data/**/*.csv"])
        #expect(set.matches("/in/a.txt"))
        #expect(set.matches("/data/x/y.csv"))
        #expect(!set.matches("/in/a.csv"))
        #expect(!set.matches("/in/a.txt.part"))
        #expect(!set.matches("/data/x/y.tmp"))
        #expect(set.mayContainMatches(directory: "/data/x"))
        #expect(!set.mayContainMatches(directory: "/in/x"))

        let explicitDotfiles = try FilePatternSet(["/in/.*"])
        #expect(!explicitDotfiles.matches("/in/.env"))
        let withDotfiles = try FilePatternSet(["/in/.*"], ignoreRules: try IgnoreRules(ignoresDotfiles: false))
        #expect(withDotfiles.matches("/in/.env"))
        #expect(!withDotfiles.matches("/in/.env.tmp"))
    }

    @Test("a pattern set needs at least one pattern and reports the first bad one")
    func patternSetValidation() {
        let empty = #expect(throws: TriggerError.self) { try FilePatternSet([]) }
        #expect(empty?.message == "file_patterns must contain at least one file pattern")
        let relative = #expect(throws: TriggerError.self) { try FilePatternSet(["/in/*", "rel/*", "/x/["]) }
        #expect(relative?.message == GlobPattern.relativePatternMessage)
    }

    @Test(
        "watch roots merge patterns and drop roots covered by another root",
        arguments: [
            (["/in/*.txt", "/in/*.csv"], ["/in (depth 0)"]),
            (["/in/*.txt", "/in/*/x.txt"], ["/in (depth 1)"]),
            (["/in/**/*.csv", "/in/sub/*.txt", "/out/*"], ["/in (recursive)", "/out (depth 0)"]),
            (["/in/*/*.txt", "/in/a/*.txt", "/in/a/b/*.txt"], ["/in (depth 1)", "/in/a/b (depth 0)"]),
            (["/a/*", "/ab/*"], ["/a (depth 0)", "/ab (depth 0)"]),
            (["/*.txt", "/in/*.txt"], ["/ (depth 0)", "/in (depth 0)"]),
            (["/**/x", "/in/*.txt"], ["/ (recursive)"]),
        ]
    )
    func watchRoots(patterns: [String], roots: [String]) throws {
        #expect(try FilePatternSet(patterns).watchRoots.map(\.description) == roots)
    }
}
