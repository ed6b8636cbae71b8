import Glibc

/// Filesystem detection by `statfs(2)` `f_type` magic number.
///
/// inotify only sees changes made through the local kernel: on NFS, Lustre, GPFS, CIFS, Ceph, BeeGFS, FUSE
/// mounts and other network or cluster filesystems, writes from other machines produce no events and no
/// error. Such filesystems are classified `isNetwork` and ``WatchMode/automatic`` polls them.
public enum FileSystemKind {
    /// Name and classification of the filesystem holding `path` (symbolic links in `path` are followed).
    /// Returns `("unknown", false)` when `statfs` fails (for example, the path does not exist).
    public static func detect(path: String) -> (name: String, isNetwork: Bool) {
        guard let type = magic(path: path) else { return ("unknown", false) }
        return classify(type: type)
    }

    /// The raw `f_type` of the filesystem holding `path`, or `nil` if `statfs` fails.
    public static func magic(path: String) -> UInt32? {
        StatfsCall.shared.type(path: path)
    }

    /// Classifies an `f_type` magic number (as in `linux/magic.h` and the filesystems' sources).
    /// Unknown types are named "unknown (0x…)" and treated as local.
    public static func classify(type: UInt32) -> (name: String, isNetwork: Bool) {
        if let known = table[type] { return known }
        return ("unknown (0x\(String(type, radix: 16)))", false)
    }

    /// A reason string for polling a root on this filesystem type, e.g. "nfs filesystem (statfs type 0x6969)".
    static func pollingReason(type: UInt32, at path: String? = nil) -> String {
        let name = classify(type: type).name
        let location = path.map { " at \($0)" } ?? ""
        return "\(name) filesystem\(location) (statfs type 0x\(String(type, radix: 16)))"
    }

    private static let table: [UInt32: (name: String, isNetwork: Bool)] = [
        // Network and cluster filesystems: inotify misses remote writes.
        0x6969: ("nfs", true),
        0x0BD0_0BD0: ("lustre", true),
        0x4750_4653: ("gpfs", true),
        0x1983_0326: ("beegfs", true),
        0xFF53_4D42: ("cifs", true),
        0xFE53_4D42: ("smb2", true),
        0x517B: ("smb", true),
        0x6573_5546: ("fuse", true),
        0x00C3_6400: ("ceph", true),
        0x0102_1997: ("9p", true),
        0x5346_414F: ("afs", true),
        0x6B41_4653: ("afs", true),
        0x7375_7245: ("coda", true),
        0x564C: ("ncp", true),
        0x7461_636F: ("ocfs2", true),
        0x0116_1970: ("gfs2", true),
        0xAAD7_AAEA: ("panfs", true),
        0x2003_0528: ("orangefs", true),
        // Local filesystems.
        0xEF53: ("ext4", false),
        0x5846_5342: ("xfs", false),
        0x9123_683E: ("btrfs", false),
        0x0102_1994: ("tmpfs", false),
        0x8584_58F6: ("ramfs", false),
        0x794C_7630: ("overlayfs", false),
        0x2FC1_2FC1: ("zfs", false),
        0xF2F5_2010: ("f2fs", false),
        0x7371_7368: ("squashfs", false),
        0x4D44: ("vfat", false),
        0x2011_BAB0: ("exfat", false),
        0x5346_544E: ("ntfs", false),
        0x5265_4973: ("reiserfs", false),
        0x3153_464A: ("jfs", false),
        0x3434: ("nilfs", false),
        0x9660: ("iso9660", false),
        0x9FA0: ("proc", false),
        0x6265_6572: ("sysfs", false),
        0x9584_58F6: ("hugetlbfs", false),
        0xCAFE_4A11: ("bpf", false),
    ]
}

/// `statfs`/`fstatfs` are not exported by the Glibc Swift module (sys/vfs.h is not part of it), so they are
/// looked up with `dlsym`. Only `f_type` is read: it is the first member of `struct statfs` and a C `long`
/// on the LP64 Linux targets Swift supports.
final class StatfsCall: Sendable {
    static let shared = StatfsCall()

    private typealias PathFunction = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32
    private typealias DescriptorFunction = @convention(c) (Int32, UnsafeMutableRawPointer) -> Int32

    private let pathFunction: PathFunction?
    private let descriptorFunction: DescriptorFunction?

    private init() {
        let handle = dlopen(nil, RTLD_NOW)
        pathFunction = dlsym(handle, "statfs").map { unsafeBitCast($0, to: PathFunction.self) }
        descriptorFunction = dlsym(handle, "fstatfs").map { unsafeBitCast($0, to: DescriptorFunction.self) }
    }

    /// `struct statfs` is 120 bytes on x86_64 and aarch64; 256 leaves room for any LP64 layout.
    private static let bufferSize = 256

    func type(path: String) -> UInt32? {
        guard let pathFunction else { return nil }
        return Self.withBuffer { pathFunction(path, $0) }
    }

    func type(descriptor: Int32) -> UInt32? {
        guard let descriptorFunction else { return nil }
        return Self.withBuffer { descriptorFunction(descriptor, $0) }
    }

    private static func withBuffer(_ call: (UnsafeMutableRawPointer) -> Int32) -> UInt32? {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: bufferSize)
        guard call(buffer) == 0 else { return nil }
        return UInt32(truncatingIfNeeded: buffer.load(as: Int.self))
    }
}
