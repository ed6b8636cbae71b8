import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension ServiceCertificate {
    /// Reads a small regular file as UTF-8; errors name the file and the role.
    static func readText(_ path: String, role: String) throws(CertificateError) -> String {
        // O_NONBLOCK: a FIFO without writer reads as empty instead of hanging the start.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw CertificateError("\(role) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw CertificateError("\(role) \(path) cannot be read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            guard bytes.count <= maximumFileSize else {
                throw CertificateError("\(role) \(path) is too large for a PEM file")
            }
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw CertificateError("\(role) \(path) is not a PEM file (not text)")
        }
        return text
    }

    /// Creates the directory with mode 0700 if it does not exist; an existing directory keeps its mode.
    static func createDirectoryIfMissing(_ directory: String) throws(CertificateError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CertificateError("the certificate directory \(directory) exists but is not a directory")
            }
            return
        }
        if mkdir(directory, 0o700) == 0 {
            _ = chmod(directory, 0o700)  // ours: undo a restrictive umask
        } else if errno != EEXIST {
            throw CertificateError(
                "cannot create the certificate directory \(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces `path` atomically: a temporary file created with O_EXCL and the final mode, written, fsync'd and
    /// renamed over the target. The key is never readable by others, not even while being written.
    static func writeAtomically(_ contents: String, to path: String, mode: mode_t) throws(CertificateError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var fd: Int32 = -1
        var temporary = ""
        for _ in 0..<16 {
            temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw CertificateError("cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        func fail(_ what: String) -> CertificateError {
            let error = CertificateError("cannot \(what) \(path): \(String(cString: strerror(errno)))")
            close(fd)
            unlink(temporary)
            return error
        }
        // open() applied the umask, which can only remove bits; set the exact mode (0644 under umask 077).
        guard fchmod(fd, mode) == 0 else { throw fail("set the mode of") }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("write")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw fail("sync") }
        guard close(fd) == 0 else {
            let error = CertificateError("cannot write \(path): \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = CertificateError("cannot replace \(path): \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw error
        }
    }

    /// Makes the renames durable.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
