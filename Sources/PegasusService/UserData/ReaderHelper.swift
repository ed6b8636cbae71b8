import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The reader helper: a `pegasus-service user-reader` process that runs as one user and answers
/// ``UserDataRequest``s on its standard input with ``UserDataResponse``s on its standard output.
///
/// The service (root) starts it; its first act is to become the target user for good (supplementary groups,
/// gid, uid, in that order), and it refuses to serve if root can still be regained. The threaded server
/// itself never changes its identity.
public enum ReaderHelper {
    /// Drops privileges and serves until standard input closes. Returns the process exit status.
    public static func serve(user: String, uid: UInt32, gid: UInt32) -> Int32 {
        closeInheritedDescriptors()
        if let problem = become(user: user, uid: uid, gid: gid) {
            FileHandle.standardError.write(Data("pegasus-service user-reader: \(problem)\n".utf8))
            return 1
        }
        let reader = UserDataReader()
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        while true {
            let frame: Data?
            do {
                frame = try ReaderFraming.read(from: STDIN_FILENO)
            } catch {
                return 1
            }
            guard let frame else { return 0 }
            let response: UserDataResponse
            do {
                response = reader.perform(try decoder.decode(UserDataRequest.self, from: frame))
            } catch {
                response = .failure(UserDataFailure(.helper, "malformed request"))
            }
            do {
                try ReaderFraming.write(try encoder.encode(response), to: STDOUT_FILENO)
            } catch {
                return 1
            }
        }
    }

    /// Closes every descriptor but standard input, output and error: whatever the service had open without
    /// close-on-exec (its listening socket, other users' connections) must not stay reachable from a helper.
    static func closeInheritedDescriptors() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for fd in entries.compactMap(Int32.init) where fd > 2 { close(fd) }
    }

    /// Becomes `uid`/`gid` with the user's supplementary groups; a message when that fails.
    static func become(user: String, uid: UInt32, gid: UInt32) -> String? {
        guard uid != 0 else { return "refusing to read as root" }
        if getuid() == uid && geteuid() == uid {
            return nil  // already that user (the service runs as this user)
        }
        guard geteuid() == 0 else { return "must be started as root or as \(user)" }
        guard initgroups(user, gid) == 0 else {
            return "initgroups(\(user)) failed: \(String(cString: strerror(errno)))"
        }
        guard setgid(gid) == 0 else { return "setgid(\(gid)) failed: \(String(cString: strerror(errno)))" }
        guard setuid(uid) == 0 else { return "setuid(\(uid)) failed: \(String(cString: strerror(errno)))" }
        guard getuid() == uid, geteuid() == uid, getgid() == gid, getegid() == gid, setuid(0) != 0 else {
            return "could not drop privileges for good"
        }
        guard everyThreadRuns(as: uid) else { return "a thread kept its privileges" }
        return nil
    }

    /// Whether every thread of this process has the real and effective `uid` (from /proc/self/task).
    static func everyThreadRuns(as uid: UInt32) -> Bool {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return true }
        for task in tasks {
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
            else { continue }
            let ids = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().compactMap { UInt32($0) }
            if ids.contains(where: { $0 != uid }) { return false }
        }
        return true
    }
}
