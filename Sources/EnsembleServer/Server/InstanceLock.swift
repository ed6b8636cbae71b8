import EnsembleCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on `<database>.lock`, held for the life of the server, so a second server on the same
/// store exits at once instead of racing the first one's scheduler.
public final class InstanceLock: Sendable {
    private let fd: Int32
    public let path: String

    /// Takes the lock or throws a message naming the holder's pid.
    public init(databasePath: String) throws(EMError) {
        path = databasePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw EMError(.internalError, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            let holder =
                n > 0
                ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw EMError(
                .conflict,
                "another pegasus-em server (pid \(holder)) is already running on \(databasePath); stop it first")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
