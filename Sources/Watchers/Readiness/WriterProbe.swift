import Glibc

/// Whether a process has a file open for writing.
public enum WriterCheck: Sendable, Hashable {
    /// Nobody has the file open for writing (no descriptor and no shared writable mapping).
    case noWriter
    /// Some descriptor, in any process including this one, holds the file open for writing (`O_WRONLY`/`O_RDWR`),
    /// or a process is opening it for writing right now.
    case writerOpen
    /// The probe cannot tell for this path, with the reason, e.g. `"lease refused (EACCES: not the file's owner)"`.
    case unavailable(String)
}

/// Asks the kernel whether anybody has a file open for writing, by trying to take a read lease on it.
///
/// Linux grants a read lease (`fcntl(F_SETLEASE, F_RDLCK)`) only when no descriptor anywhere, including the
/// caller's own, has the file open for writing; otherwise it fails with `EAGAIN`. The lease is released at once,
/// so the probe is a question, not a lock. Requirements and limits:
/// - The caller must own the file or have `CAP_LEASE` (root has it); otherwise the answer is `unavailable`.
/// - Filesystems without lease support refuse with `EINVAL` (`/proc`; depending on the kernel version, network
///   and FUSE filesystems): `unavailable`.
/// - It sees writers on *this* machine only. On a network filesystem that grants the lease, a writer on another
///   client is still invisible: the watchers poll such filesystems, and their settle rules must cover it.
/// - Side effects, all confined to the microsecond between taking and releasing the lease: a process that opens
///   the file for writing (or truncates it) then waits until the release, or fails with `EWOULDBLOCK` if it
///   opened with `O_NONBLOCK`. The probe's own open and close produce `IN_OPEN`/`IN_CLOSE_NOWRITE` inotify
///   events, which the watchers do not subscribe to.
///
/// Cost: about 7 µs on a local ext4 file (stat, open, fstat, three fcntl, close: seven syscalls; median of
/// 10,000 probes on the 2-core test VM, where one syscall costs 0.5 to 1 µs; see `WriterProbeTests.probeCost`).
/// Every call is independent and thread-safe. It is a sequence of blocking syscalls (fast on a local disk, not
/// bounded on a hung one): run it off the Swift concurrency pool, e.g. on a `BlockingWorker`.
public enum WriterProbe {
    /// `F_SETLEASE`, `F_SETSIG` from `<fcntl.h>`: Glibc's Swift module does not export them (they are under
    /// `__USE_GNU`). The values are the same on every Linux architecture.
    static let setLease: Int32 = 1024
    static let setSignal: Int32 = 10

    /// The signal the kernel sends if a lease of ours is broken: `SIGURG`, not the default `SIGIO`.
    ///
    /// When another process (or another thread of ours) opens the file for writing while we hold the lease,
    /// the kernel notifies the lease holder, which `F_SETLEASE` always makes the calling process, with `SIGIO`
    /// by default. The default action of `SIGIO` terminates the process (exit status 128 + 29, checked with a
    /// Python lease holder on this kernel). Options considered:
    /// - `signal(SIGIO, SIG_IGN)` once, process-wide: works, but changes global state that any later
    ///   `signal(SIGIO, SIG_DFL)` undoes, and an ignored disposition survives `execve`, so every child the service
    ///   spawns (condor_submit, pegasus-plan, ...) would inherit an ignored `SIGIO`.
    /// - `F_SETOWN(fd, 0)` after the lease: `F_SETLEASE` itself sets the owner to us, so there is a window
    ///   between the two calls in which a break still sends `SIGIO`.
    /// - `F_SETSIG(fd, SIGURG)` *before* the lease (chosen): per open file description, and our description is
    ///   fresh and private, so there is no window. `F_SETLEASE` changes the owner, not the signal number. The
    ///   default action of `SIGURG` is "ignore", so with the default disposition the kernel discards it when it is
    ///   generated (no delivery, no `EINTR`; if the main thread blocked `SIGURG`, it would stay pending and be
    ///   discarded when unblocked). No disposition makes `SIGURG` fatal: at worst a handler someone
    ///   installed for it runs spuriously. It is not a real-time signal, so a full signal queue cannot make the
    ///   kernel fall back to `SIGIO` (that fallback exists only for real-time signals). It costs one `fcntl`.
    /// The tests run a writer thread against 20,000 probes in a process whose `SIGIO` is left at its default and
    /// count the lease breaks (the writer's non-blocking opens refused with `EWOULDBLOCK`), each of which would
    /// otherwise have killed it.
    static let breakSignal: Int32 = SIGURG

    /// Whether anybody has `path` open for writing. Symbolic links are followed.
    ///
    /// Returns `.noWriter` when the read lease is granted (it is released immediately), `.writerOpen` when the
    /// kernel refuses it with `EAGAIN`, and `.unavailable(reason)` when the path cannot be opened, is not a
    /// regular file, or the lease is refused for another reason (not the owner, filesystem without leases, ...).
    public static func check(path: String) -> WriterCheck {
        inspect(path: path).writer
    }

    /// What one look at a file finds: its identity, taken with `fstat` while the read lease is held (so no writer
    /// can change it in between), and whether anybody has it open for writing. The identity is nil only when the
    /// path is missing or not a regular file; when the file cannot be opened or leased the identity comes from
    /// `stat` and the check is `unavailable`, so the caller falls back to its settle rule rather than forgetting it.
    ///
    /// On a network or cluster filesystem (NFS, SMB, Lustre, GPFS, FUSE, ... by `fstatfs` type, see
    /// ``FileSystemKind``) the answer is always `unavailable`: a lease there says nothing about writers on other
    /// machines, and NFSv4 and SMB refuse it with `EAGAIN` (which would read as "open for writing" forever) when
    /// the server granted no delegation or oplock.
    public static func inspect(path: String) -> (identity: FileIdentity?, writer: WriterCheck) {
        // stat first, so that a FIFO or a device matching a pattern is never opened: opening a FIFO would
        // release a writer blocked waiting for a reader, and opening a device can have side effects.
        var status = stat()
        guard stat(path, &status) == 0 else { return (nil, .unavailable("cannot stat (\(describe(errno)))")) }
        guard status.st_mode & S_IFMT == S_IFREG else { return (nil, .unavailable("not a regular file")) }

        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            if code == EWOULDBLOCK {
                // Only a conflicting lease makes a read-only open fail this way: another process holds a write
                // lease (e.g. Samba kernel oplocks), and our open has just started breaking it.
                return (
                    FileIdentity(status), .unavailable("cannot open (EWOULDBLOCK: another process holds a lease on it)")
                )
            }
            let missing = code == ENOENT || code == ENOTDIR
            return (missing ? nil : FileIdentity(status), .unavailable("cannot open (\(describe(code)))"))
        }
        defer { close(descriptor) }
        // The path may have been replaced between stat and open.
        guard fstat(descriptor, &status) == 0 else {
            return (FileIdentity(status), .unavailable("cannot fstat (\(describe(errno)))"))
        }
        guard status.st_mode & S_IFMT == S_IFREG else { return (nil, .unavailable("not a regular file")) }
        if let type = StatfsCall.shared.type(descriptor: descriptor), FileSystemKind.classify(type: type).isNetwork {
            return (
                FileIdentity(status),
                .unavailable(
                    "\(FileSystemKind.classify(type: type).name) filesystem: a lease cannot see other machines' writers"
                )
            )
        }

        guard fcntl(descriptor, setSignal, breakSignal) == 0 else {
            // Without the redirection a lease break would send SIGIO: never take the lease then.
            return (
                FileIdentity(status),
                .unavailable("cannot redirect the lease-break signal (F_SETSIG: \(describe(errno)))")
            )
        }
        if fcntl(descriptor, setLease, Int32(F_RDLCK)) == 0 {
            // While the lease is held nobody can open the file for writing: this identity is the content.
            let identity = fstat(descriptor, &status) == 0 ? FileIdentity(status) : nil
            // Closing would release it too; F_UNLCK first keeps the window as short as possible even if the
            // close were delayed.
            _ = fcntl(descriptor, setLease, Int32(F_UNLCK))
            return (identity, .noWriter)
        }
        let code = errno
        let identity = FileIdentity(status)
        switch code {
        case EAGAIN:
            // Someone has the file open for writing (possibly this process), or is opening it for writing and
            // is breaking another holder's lease.
            return (identity, .writerOpen)
        case EACCES, EPERM:
            return (identity, .unavailable("lease refused (\(describe(code)): not the file's owner)"))
        case EINVAL:
            return (
                identity, .unavailable("lease refused (EINVAL: filesystem without leases, or fs.leases-enable is 0)")
            )
        default:
            return (identity, .unavailable("lease refused (\(describe(code)))"))
        }
    }

    /// A short name and meaning for the errno values this probe can meet.
    private static func describe(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "ENOENT: no such file"
        case ENOTDIR: return "ENOTDIR: a path component is not a directory"
        case EACCES: return "EACCES"
        case EPERM: return "EPERM"
        case ELOOP: return "ELOOP: too many symbolic links"
        case ENAMETOOLONG: return "ENAMETOOLONG"
        case EMFILE: return "EMFILE: out of descriptors"
        case ENFILE: return "ENFILE: system out of descriptors"
        case ENOMEM: return "ENOMEM"
        case ENOLCK: return "ENOLCK: out of lock records"
        case EINVAL: return "EINVAL"
        case EIO: return "EIO"
        case EOVERFLOW: return "EOVERFLOW"
        case ENXIO: return "ENXIO"
        case EINTR: return "EINTR"
        default: return "errno \(code)"
        }
    }
}
