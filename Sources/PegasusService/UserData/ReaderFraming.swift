import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The wire format between `pegasus-service` and its reader helpers: each message is a 4-byte big-endian
/// length followed by that many bytes of JSON (a ``UserDataRequest`` one way, a ``UserDataResponse`` back).
enum ReaderFraming {
    static let maximumFrame = 512 << 20

    /// Writes one frame; blocks until written.
    static func write(_ payload: Data, to fd: Int32) throws(UserDataFailure) {
        var length = UInt32(payload.count).bigEndian
        var frame = Data(bytes: &length, count: 4)
        frame.append(payload)
        let failed: Int32? = frame.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        if let failed {
            throw UserDataFailure(.helper, "reader pipe closed (\(String(cString: strerror(failed))))")
        }
    }

    /// Reads one frame; nil at end of file before a frame starts.
    static func read(from fd: Int32) throws(UserDataFailure) -> Data? {
        guard let header = try readExactly(4, from: fd, allowEOF: true) else { return nil }
        let length = header.withUnsafeBytes { Int(UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self))) }
        guard length <= maximumFrame else { throw UserDataFailure(.helper, "reader frame too large (\(length))") }
        return try readExactly(length, from: fd, allowEOF: false) ?? Data()
    }

    private static func readExactly(_ count: Int, from fd: Int32, allowEOF: Bool) throws(UserDataFailure) -> Data? {
        var data = Data(count: count)
        var filled = 0
        while filled < count {
            let n = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw UserDataFailure(.helper, "reader pipe failed (\(String(cString: strerror(errno))))")
            }
            if n == 0 {
                if filled == 0 && allowEOF { return nil }
                throw UserDataFailure(.helper, "reader helper exited")
            }
            filled += n
        }
        return data
    }
}
