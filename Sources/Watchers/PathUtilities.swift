import Glibc

/// Lexical path handling. Paths are never resolved through the filesystem here (no `realpath`), so event
/// paths keep the spelling of the configured root.
enum PathUtilities {
    /// Makes `path` absolute (against the current directory) and removes empty, `.` and `..` components.
    static func normalize(_ path: String) -> String {
        var absolute = path
        if !absolute.hasPrefix("/") {
            absolute = join(currentDirectory(), absolute)
        }
        var components: [Substring] = []
        for component in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".":
                continue
            case "..":
                if !components.isEmpty { components.removeLast() }
            default:
                components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// `directory` + "/" + `name`, without doubling the slash for "/".
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The parent of a normalised absolute path; `nil` for "/".
    static func parent(_ path: String) -> String? {
        guard path != "/" else { return nil }
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether `path` is `prefix` or lies below it.
    static func isSame(_ path: String, orBelow prefix: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if path.utf8.count == prefix.utf8.count || prefix == "/" { return true }
        return path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: prefix.utf8.count)] == UInt8(ascii: "/")
    }

    static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `errno` as a short name for messages ("ENOSPC"), falling back to the number.
func errnoName(_ code: Int32) -> String {
    switch code {
    case ENOSPC: return "ENOSPC"
    case EMFILE: return "EMFILE"
    case ENFILE: return "ENFILE"
    case ENOMEM: return "ENOMEM"
    case EACCES: return "EACCES"
    case EPERM: return "EPERM"
    case ENOENT: return "ENOENT"
    case ENOTDIR: return "ENOTDIR"
    case ELOOP: return "ELOOP"
    case EINVAL: return "EINVAL"
    case ENOSYS: return "ENOSYS"
    default: return "errno \(code)"
    }
}
