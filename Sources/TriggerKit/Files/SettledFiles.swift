import Watchers

/// The files a trigger settled (submitted, or found in the ledger) with the identity they had, grouped by
/// directory: a path's directory is stored once, and a file name of up to 15 bytes fits in the `String` itself,
/// so an entry costs its slot in its directory's table (name and identity, 48 bytes, at most twice over) plus the
/// name's bytes when it is longer. A million settled files take about 75 to 160 bytes each (see
/// docs/PERFORMANCE.md), against about 200 for one table keyed by full paths. Exact: no fingerprint, so no
/// collision can hide a new file.
struct SettledFiles: Sendable {
    private var directories: [String: [String: FileIdentity]] = [:]
    /// How many files are settled.
    private(set) var count = 0

    /// Splits a path at its last `/`: (`/a/b`, `c`) for `/a/b/c`.
    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    /// The identity settled at `path`, or nil; setting nil forgets it.
    subscript(path: String) -> FileIdentity? {
        get {
            let (directory, name) = Self.split(path)
            return directories[directory]?[name]
        }
        set {
            let (directory, name) = Self.split(path)
            if let newValue {
                if directories[directory, default: [:]].updateValue(newValue, forKey: name) == nil { count += 1 }
            } else if directories[directory]?.removeValue(forKey: name) != nil {
                count -= 1
                if directories[directory]?.isEmpty == true { directories.removeValue(forKey: directory) }
            }
        }
    }

    /// Forgets `path`; whether it was settled.
    mutating func remove(_ path: String) -> Bool {
        guard self[path] != nil else { return false }
        self[path] = nil
        return true
    }

    /// Forgets every file below the directory `prefix` (which ends in `/`).
    mutating func removeAll(under prefix: String) {
        let inside = String(prefix.dropLast())
        for (directory, files) in directories where directory == inside || directory.hasPrefix(prefix) {
            directories.removeValue(forKey: directory)
            count -= files.count
        }
    }
}
