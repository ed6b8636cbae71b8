import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// One running reader helper: its pid and the two ends of its pipes. Used by one request at a time.
struct ReaderProcess: Sendable {
    let pid: pid_t
    let user: UnixUser
    /// Writes requests to the helper's standard input.
    let requests: Int32
    /// Reads responses from the helper's standard output.
    let responses: Int32

    private static let io = DispatchQueue(label: "pegasus-service.reader-io", attributes: .concurrent)

    /// Starts `executable arguments... --user NAME --uid U --gid G` with pipes on its standard input and output.
    static func spawn(executable: String, arguments: [String], user: UnixUser) throws(UserDataFailure)
        -> ReaderProcess
    {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard makePipe(&toChild) else { throw UserDataFailure(.helper, "pipe failed") }
        guard makePipe(&fromChild) else {
            close(toChild[0])
            close(toChild[1])
            throw UserDataFailure(.helper, "pipe failed")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], STDOUT_FILENO)
        let argv =
            [executable] + arguments + ["--user", user.name, "--uid", String(user.uid), "--gid", String(user.gid)]
        let environment = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + user.home]
        var pid: pid_t = 0
        let status = withCStrings(argv) { cArgv in
            withCStrings(environment) { cEnv in posix_spawn(&pid, executable, &actions, nil, cArgv, cEnv) }
        }
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw UserDataFailure(.helper, "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return ReaderProcess(pid: pid, user: user, requests: toChild[1], responses: fromChild[0])
    }

    /// Sends one request and waits for its answer, on a dispatch queue (the pipes block). A helper that has not
    /// answered after `timeout` seconds (a hung file system, say) is killed, so the request fails instead of
    /// holding the helper for ever.
    func exchange(_ request: UserDataRequest, timeout: Double) async throws(UserDataFailure) -> UserDataResponse {
        let pid = self.pid
        let result: Result<UserDataResponse, UserDataFailure> = await withCheckedContinuation { continuation in
            Self.io.async {
                let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
                Self.io.asyncAfter(deadline: .now() + timeout, execute: watchdog)
                let result = Result { () throws(UserDataFailure) in try self.exchangeBlocking(request) }
                watchdog.cancel()
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }

    private func exchangeBlocking(_ request: UserDataRequest) throws(UserDataFailure) -> UserDataResponse {
        let payload: Data
        do {
            payload = try JSONEncoder().encode(request)
        } catch {
            throw UserDataFailure(.helper, "cannot encode request")
        }
        try ReaderFraming.write(payload, to: requests)
        guard let frame = try ReaderFraming.read(from: responses) else {
            throw UserDataFailure(.helper, "reader helper for \(user.name) exited")
        }
        do {
            return try JSONDecoder().decode(UserDataResponse.self, from: frame)
        } catch {
            throw UserDataFailure(.helper, "malformed reader response")
        }
    }

    /// Closes the pipes (the helper exits at end of input), then reaps it off the concurrency pool.
    func stop() {
        close(requests)
        close(responses)
        let pid = self.pid
        Self.io.async {
            var status: Int32 = 0
            // Give it a moment to exit on its own, then insist.
            for _ in 0..<50 {
                if waitpid(pid, &status, WNOHANG) != 0 { return }
                usleep(20_000)
            }
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }
}

/// A pipe whose ends are closed on exec (the helper gets only the ends dup'ed onto its standard input/output).
private func makePipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return true
}

/// Runs `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

/// Reader helpers for PROCESS_SWITCHING: a few processes per user, each running as that user, started on
/// demand and stopped after a while without use. A helper that fails is discarded and replaced.
public actor ReaderPool: Service {
    public let executable: String
    public let arguments: [String]
    public let perUser: Int
    public let idleLifetime: Double
    /// Seconds a helper may take for one request before it is killed.
    public let requestTimeout: Double
    let logger: Logger
    let metrics: ServiceMetrics?

    private var idle: [UInt32: [(process: ReaderProcess, since: Double)]] = [:]
    private var running: [UInt32: Int] = [:]
    private var waiting: [UInt32: [CheckedContinuation<ReaderProcess?, Never>]] = [:]
    private var stopped = false

    /// - Parameters:
    ///   - executable: the `pegasus-service` binary (normally `/proc/self/exe`).
    ///   - arguments: the arguments that select the helper mode (`["user-reader"]`).
    public init(
        executable: String, arguments: [String] = ["user-reader"], perUser: Int = 4, idleLifetime: Double = 120,
        requestTimeout: Double = 60, logger: Logger, metrics: ServiceMetrics? = nil
    ) {
        self.metrics = metrics
        self.requestTimeout = requestTimeout
        self.executable = executable
        self.arguments = arguments
        self.perUser = perUser
        self.idleLifetime = idleLifetime
        self.logger = logger
    }

    /// A data source that reads as `user`.
    nonisolated public func source(for user: UnixUser) -> any UserDataSource {
        SwitchedUserData(pool: self, user: user)
    }

    /// Answers one request in a helper running as `user`.
    func perform(_ request: UserDataRequest, as user: UnixUser) async throws(UserDataFailure) -> UserDataResponse {
        let started = ContinuousClock.now
        let process: ReaderProcess
        do {
            process = try await checkOut(user)
        } catch {
            metrics?.readerRan(duration: ContinuousClock.now - started, failed: true)
            throw error
        }
        do {
            let response = try await process.exchange(request, timeout: requestTimeout)
            checkIn(process)
            metrics?.readerRan(duration: ContinuousClock.now - started, failed: false)
            return response
        } catch {
            metrics?.readerRan(duration: ContinuousClock.now - started, failed: true)
            discard(process)
            logger.warning("reader helper failed", metadata: ["user": "\(user.name)", "error": "\(error)"])
            throw error
        }
    }

    /// The number of helpers alive for a uid (tests).
    public func helperCount(uid: UInt32) -> Int { running[uid] ?? 0 }

    private func checkOut(_ user: UnixUser) async throws(UserDataFailure) -> ReaderProcess {
        guard !stopped else { throw UserDataFailure(.helper, "the service is shutting down") }
        if var list = idle[user.uid], let last = list.popLast() {
            idle[user.uid] = list
            return last.process
        }
        if (running[user.uid] ?? 0) < perUser {
            let process = try ReaderProcess.spawn(executable: executable, arguments: arguments, user: user)
            running[user.uid, default: 0] += 1
            logger.debug("reader helper started", metadata: ["user": "\(user.name)", "pid": "\(process.pid)"])
            return process
        }
        let handed = await withCheckedContinuation { waiting[user.uid, default: []].append($0) }
        guard let handed else { throw UserDataFailure(.helper, "the service is shutting down") }
        return handed
    }

    private func checkIn(_ process: ReaderProcess) {
        if var queue = waiting[process.user.uid], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[process.user.uid] = queue
            next.resume(returning: process)
            return
        }
        idle[process.user.uid, default: []].append((process, Date().timeIntervalSince1970))
    }

    private func discard(_ process: ReaderProcess) {
        process.stop()
        running[process.user.uid, default: 1] -= 1
        // A waiter gets a fresh helper on its own retry; wake one so it does not wait forever.
        if var queue = waiting[process.user.uid], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[process.user.uid] = queue
            if let fresh = try? ReaderProcess.spawn(executable: executable, arguments: arguments, user: process.user) {
                running[process.user.uid, default: 0] += 1
                next.resume(returning: fresh)
            } else {
                next.resume(returning: nil)
            }
        }
    }

    /// Stops helpers idle for longer than ``idleLifetime``.
    func stopIdle(now: Double = Date().timeIntervalSince1970) {
        for (uid, list) in idle {
            let (old, fresh) = (
                list.filter { now - $0.since > idleLifetime }, list.filter { now - $0.since <= idleLifetime }
            )
            for entry in old {
                entry.process.stop()
                running[uid, default: 1] -= 1
            }
            idle[uid] = fresh.isEmpty ? nil : fresh
        }
    }

    private func stopAll() {
        stopped = true
        for (uid, list) in idle {
            for entry in list { entry.process.stop() }
            running[uid] = (running[uid] ?? 0) - list.count
        }
        idle = [:]
        for (_, queue) in waiting { queue.forEach { $0.resume(returning: nil) } }
        waiting = [:]
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(15))
                await self.stopIdle()
            }
        }
        stopAll()
    }
}

/// Reads as one user through the pool.
struct SwitchedUserData: UserDataSource {
    let pool: ReaderPool
    let user: UnixUser

    func perform(_ request: UserDataRequest) async throws(UserDataFailure) -> UserDataResponse {
        let response = try await pool.perform(request, as: user)
        if case .failure(let failure) = response { throw failure }
        return response
    }
}
