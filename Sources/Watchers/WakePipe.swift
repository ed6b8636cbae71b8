import Glibc

/// A non-blocking pipe the watcher thread polls next to the inotify descriptor, so other threads can wake it
/// (to stop, or because the consumer made room). Glibc's Swift module has no `eventfd`, hence a pipe.
///
/// Both ends are closed in `deinit`, i.e. only once neither the thread nor the public handle can still
/// write, so a late `signal()` can never hit a recycled descriptor number.
final class WakePipe: Sendable {
    let readDescriptor: Int32
    let writeDescriptor: Int32

    /// If `pipe()` fails (descriptor limit), both ends are -1 and the watcher falls back to short poll timeouts.
    init() {
        var descriptors: [Int32] = [-1, -1]
        if pipe(&descriptors) == 0 {
            for descriptor in descriptors {
                _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            }
            readDescriptor = descriptors[0]
            writeDescriptor = descriptors[1]
        } else {
            readDescriptor = -1
            writeDescriptor = -1
        }
    }

    var isValid: Bool { readDescriptor >= 0 }

    /// Wakes the watcher thread. A full pipe already means "wake up", so `EAGAIN` is fine.
    func signal() {
        guard writeDescriptor >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Empties the pipe (called by the watcher thread after `poll` reported it readable).
    func drain() {
        guard readDescriptor >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }

    deinit {
        if readDescriptor >= 0 { close(readDescriptor) }
        if writeDescriptor >= 0 { close(writeDescriptor) }
    }
}
