import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The ways the tests put files into watched directories, with plain system calls (no Foundation buffering, so
/// what the watcher sees is exactly these opens, writes, closes and renames).
enum FileWriter {
    /// Creates a directory and its parents.
    static func mkdirs(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to a new (or truncated) file and closes it.
    static func write(_ path: String, _ contents: String = "data\n") throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TriggerTestError(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        try writeAll(fd, contents, path)
    }

    /// Appends `contents` to the file by opening it, writing and closing it again.
    static func append(_ path: String, _ contents: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TriggerTestError(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        try writeAll(fd, contents, path)
    }

    static func writeAll(_ fd: Int32, _ contents: String, _ path: String) throws {
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw TriggerTestError(description: "write \(path): errno \(errno)") }
            offset += n
        }
    }

    /// Writes the file under `temporary` (a name the trigger ignores, or a directory it does not watch), then
    /// renames it to `path`: the file appears complete, in one step.
    static func writeAndRename(_ path: String, via temporary: String, _ contents: String = "data\n") throws {
        try write(temporary, contents)
        guard rename(temporary, path) == 0 else {
            throw TriggerTestError(description: "rename \(temporary) → \(path): errno \(errno)")
        }
    }

    /// A symbolic link at `path` to `target`.
    static func symlink(_ path: String, to target: String) throws {
        guard Glibc.symlink(target, path) == 0 else {
            throw TriggerTestError(description: "symlink \(path): errno \(errno)")
        }
    }

    /// Appends a chunk every `every` seconds for `duration` seconds, either through one descriptor kept open
    /// the whole time (`keepOpen`) or reopening the file for each chunk. Blocks the calling thread.
    /// - Returns: the time of the last write.
    @discardableResult
    static func slowWrite(_ path: String, duration: Double, every: Double, keepOpen: Bool) throws -> Double {
        let chunk = String(repeating: "x", count: 4095) + "\n"
        let end = Date().addingTimeInterval(duration)
        var last = 0.0
        if keepOpen {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw TriggerTestError(description: "open \(path): errno \(errno)") }
            defer { close(fd) }
            repeat {
                try writeAll(fd, chunk, path)
                last = Date().timeIntervalSince1970
                usleep(useconds_t(every * 1_000_000))
            } while Date() < end
            try writeAll(fd, chunk, path)
            last = Date().timeIntervalSince1970
        } else {
            repeat {
                try append(path, chunk)
                last = Date().timeIntervalSince1970
                usleep(useconds_t(every * 1_000_000))
            } while Date() < end
            try append(path, chunk)
            last = Date().timeIntervalSince1970
        }
        return last
    }

    /// Size and mtime (ns) of a file.
    static func identity(_ path: String) -> (size: Int64, mtimeNanoseconds: Int64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (Int64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}

/// Runs blocking work (a slow writer) on its own thread, so it cannot hold up the cooperative pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}
