#if canImport(Glibc)
    import Glibc
#endif

/// The planning command of `pegasus-em submit`, resolved on the client as Pegasus' `pathfind` does.
public struct PlanCommand: Sendable, Equatable {
    /// The absolute path of the executable followed by its arguments, unchanged.
    public var argv: [String]

    /// Creates a plan command from an already resolved argv.
    public init(argv: [String]) {
        self.argv = argv
    }

    /// Resolves `command` and keeps `arguments` as given.
    /// - Parameters:
    ///   - command: the plan command as typed: with a `/` it must name an executable file (made absolute against
    ///     `workingDirectory`); without one it is searched in `searchPath`.
    ///   - arguments: the plan command's arguments, passed through unchanged.
    ///   - workingDirectory: the client's current directory.
    ///   - searchPath: the value of `PATH`; `nil` means nothing is searched.
    /// - Returns: `nil` when no executable is found (Pegasus: "invalid planning command").
    public static func resolve(
        _ command: String,
        arguments: [String],
        workingDirectory: String,
        searchPath: String?
    ) -> PlanCommand? {
        guard let exe = findExecutable(command, workingDirectory: workingDirectory, searchPath: searchPath) else {
            return nil
        }
        return PlanCommand(argv: [exe] + arguments)
    }

    /// Pegasus' `pathfind`, except that a match found through a relative `PATH` entry is made absolute too.
    public static func findExecutable(_ command: String, workingDirectory: String, searchPath: String?) -> String? {
        guard !command.isEmpty else { return nil }
        if command.contains("/") {
            let path = absolutePath(command, workingDirectory: workingDirectory)
            return isExecutableFile(path) ? path : nil
        }
        guard let searchPath else { return nil }
        // Python's str.split(":") keeps empty entries; os.path.join("", cmd) is cmd, i.e. the current directory.
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = entry.isEmpty ? command : String(entry) + "/" + command
            let path = absolutePath(candidate, workingDirectory: workingDirectory)
            if isExecutableFile(path) { return path }
        }
        return nil
    }

    /// The string Pegasus sends as `plan_command`: every argv element in double quotes, space-joined, no escaping.
    public var pegasusString: String {
        "\"" + argv.joined(separator: "\" \"") + "\""
    }

    /// `os.path.isfile(path) and os.access(path, os.X_OK)`.
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}

/// `os.path.abspath`: joins a relative path to `workingDirectory`, then normalises it lexically.
public func absolutePath(_ path: String, workingDirectory: String) -> String {
    normalizePath(path.hasPrefix("/") ? path : workingDirectory + "/" + path)
}

/// `os.path.normpath` (POSIX): collapses `//`, `.` and `a/..` without touching the file system.
///
/// As in Python, exactly two leading slashes are kept; three or more become one.
public func normalizePath(_ path: String) -> String {
    if path.isEmpty { return "." }
    var leading = 0
    if path.hasPrefix("/") {
        leading = path.hasPrefix("//") && !path.hasPrefix("///") ? 2 : 1
    }
    var parts: [Substring] = []
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
        if component == "." { continue }
        if component == ".." {
            if let last = parts.last, last != ".." {
                parts.removeLast()
            } else if leading == 0 {
                parts.append(component)
            }
            continue
        }
        parts.append(component)
    }
    let body = parts.joined(separator: "/")
    let prefix = String(repeating: "/", count: leading)
    let result = prefix + body
    return result.isEmpty ? "." : result
}
