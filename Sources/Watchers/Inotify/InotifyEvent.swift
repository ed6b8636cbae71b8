import Glibc

/// One parsed `struct inotify_event`.
struct InotifyEvent {
    var watchDescriptor: Int32
    var mask: UInt32
    var cookie: UInt32
    /// Name of the entry inside the watched directory; empty for events about the directory itself.
    var name: String

    func has(_ flag: UInt32) -> Bool { mask & flag != 0 }

    /// Parses the events in `bytes` (the result of one `read`). The flexible `name[]` member is not imported
    /// by Swift, so the name is read at `offset + MemoryLayout<inotify_event>.size`; it is NUL-padded.
    static func parse(_ bytes: UnsafeRawBufferPointer, _ body: (InotifyEvent) -> Void) {
        let headerSize = MemoryLayout<inotify_event>.size
        var offset = 0
        while offset + headerSize <= bytes.count {
            let watchDescriptor = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameStart = offset + headerSize
            guard nameStart + length <= bytes.count else { return }
            var name = ""
            if length > 0 {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<(nameStart + length)])
                let end = raw.firstIndex(of: 0) ?? raw.count
                name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<end]), as: UTF8.self)
            }
            body(InotifyEvent(watchDescriptor: watchDescriptor, mask: mask, cookie: cookie, name: name))
            offset = nameStart + length
        }
    }
}

/// The `IN_*` constants as `UInt32` (Glibc imports them as `Int32`/`Int`).
enum InotifyFlag {
    static let closeWrite = UInt32(IN_CLOSE_WRITE)
    static let movedFrom = UInt32(IN_MOVED_FROM)
    static let movedTo = UInt32(IN_MOVED_TO)
    static let create = UInt32(IN_CREATE)
    static let delete = UInt32(IN_DELETE)
    static let deleteSelf = UInt32(IN_DELETE_SELF)
    static let moveSelf = UInt32(IN_MOVE_SELF)
    static let unmount = UInt32(IN_UNMOUNT)
    static let queueOverflow = UInt32(IN_Q_OVERFLOW)
    static let ignored = UInt32(IN_IGNORED)
    static let isDirectory = UInt32(IN_ISDIR)
    static let onlyDirectory = UInt32(IN_ONLYDIR)
    static let dontFollow = UInt32(IN_DONT_FOLLOW)
    static let maskAdd = UInt32(IN_MASK_ADD)

    /// Mask of a directory inside a watched tree.
    static let treeMask = closeWrite | movedFrom | movedTo | create | delete | deleteSelf | moveSelf | onlyDirectory
    /// Mask of the nearest existing ancestor of a root that does not exist yet. Added with `IN_MASK_ADD`: the
    /// directory may already carry a tree watch (of another root, perhaps under another path), whose events
    /// must not be switched off.
    static let ancestorMask = create | movedTo | deleteSelf | moveSelf | onlyDirectory | maskAdd
}

/// Owns an inotify instance (non-blocking, close-on-exec).
final class InotifyDescriptor {
    let descriptor: Int32

    /// Returns `nil` and the errno name when the kernel refuses (`EMFILE`: `max_user_instances` reached).
    static func open() -> Result<InotifyDescriptor, InotifyError> {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return .failure(InotifyError(code: errno)) }
        return .success(InotifyDescriptor(descriptor: descriptor))
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// `inotify_add_watch`; the watch descriptor or the errno.
    func addWatch(_ path: String, mask: UInt32) -> Result<Int32, InotifyError> {
        let watchDescriptor = inotify_add_watch(descriptor, path, mask)
        guard watchDescriptor >= 0 else { return .failure(InotifyError(code: errno)) }
        return .success(watchDescriptor)
    }

    func removeWatch(_ watchDescriptor: Int32) {
        _ = inotify_rm_watch(descriptor, watchDescriptor)
    }

    deinit {
        close(descriptor)
    }
}

/// An errno from an inotify call.
struct InotifyError: Error {
    var code: Int32

    /// The kernel ran out of watches or instances for this user: fall back to polling.
    var isLimit: Bool { code == ENOSPC || code == EMFILE || code == ENFILE || code == ENOMEM }

    var name: String { errnoName(code) }
}
