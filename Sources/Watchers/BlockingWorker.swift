import Foundation
import Glibc
import Synchronization

/// Threads that run blocking work (stat, probes, directory scans) for async callers.
///
/// The Swift concurrency pool has one thread per core (two here): a blocking syscall there stalls every task of
/// the process. `run` enqueues the closure, suspends the caller without holding a pool thread, and resumes it
/// with the result once a worker thread has run it. Cancelling the calling task does not cancel queued work: it
/// runs, and the caller gets the result.
///
/// Threads: by default one dedicated thread, so work items run one at a time, in the order `run` was called.
/// With `maxThreads` above one the worker is elastic: work items start in the order `run` was called, each on an
/// idle thread, or on a new one while fewer than `maxThreads` exist, so one item stuck in a syscall (a directory
/// scan on a hung NFS mount) holds one thread and the others go on; only `maxThreads` stuck items at once make
/// later work wait. A thread idle for `idleTimeout` exits (a new one starts on demand).
///
/// Lifetime: the threads exit after `shutdown()` or when the worker is released, in both cases after running
/// the work already queued (each queued caller is resumed). The threads hold only the queue, never the
/// `BlockingWorker`, so releasing the last reference is enough; no thread is leaked per worker.
///
/// After `shutdown()`, `run` still works and still never blocks the caller's thread: each call then gets a
/// fresh detached `Thread` of its own (named `<name>-late`, cut to 15 bytes), so such calls are not ordered with
/// each other.
public final class BlockingWorker: Sendable {
    public let name: String
    private let queue: WorkQueue

    /// A worker whose threads are named `name` cut to 15 bytes (the Linux limit; `top -H`,
    /// `/proc/self/task/*/comm`).
    /// - Parameters:
    ///   - maxThreads: how many threads may run work at once (1: one dedicated thread, strict FIFO).
    ///   - idleTimeout: how long a thread waits for work before it exits; nil: never (the thread stays).
    public init(name: String, maxThreads: Int = 1, idleTimeout: Duration? = nil) {
        precondition(maxThreads >= 1, "a worker needs at least one thread")
        self.name = name
        queue = WorkQueue(maxThreads: maxThreads, idleTimeout: idleTimeout) { serve in
            Self.startThread(named: name, body: serve)
        }
    }

    deinit {
        queue.shutdown()
    }

    /// Runs `work` on the worker thread after the work queued before it, and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let job: Job = { continuation.resume(returning: work()) }
            if !queue.enqueue(job) {
                Self.startThread(named: name + "-late", body: job)
            }
        }
    }

    /// Like ``run(_:)``, but a caller cancelled before its work has started gets nil at once and the work is
    /// skipped (work already running finishes, and its caller gets the result). For long work such as a directory
    /// scan, so that a cancelled caller does not wait behind the queue.
    public func runUnlessCancelled<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T? {
        let ticket = Ticket<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                guard ticket.arm(continuation) else { return }
                let job: Job = { ticket.start(work) }
                if !queue.enqueue(job) {
                    Self.startThread(named: name + "-late", body: job)
                }
            }
        } onCancel: {
            ticket.cancel()
        }
    }

    /// Starts a detached Foundation `Thread` that names itself, cut to 15 bytes (the kernel refuses longer names).
    /// `Thread.name` is not enough on Linux: set before `start()` it does not reach the kernel, and set from the
    /// new thread it reaches the kernel only if `start()` has already recorded the pthread, which races with the
    /// thread's first instructions (the thread then keeps its creator's name, e.g. "oot.default-qos"). So the
    /// thread calls `pthread_setname_np` itself (not exported by Glibc's Swift module: looked up with `dlsym`).
    static func startThread(named name: String, body: @escaping @Sendable () -> Void) {
        var bytes = Array(name.utf8.prefix(15))
        while !bytes.isEmpty && String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        let kernelName = String(decoding: bytes, as: UTF8.self)
        let thread = Thread {
            if let setName = setThreadName {
                _ = kernelName.withCString { setName(pthread_self(), $0) }
            }
            Thread.current.name = kernelName
            body()
        }
        thread.start()
    }

    private typealias SetThreadName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    private static let setThreadName: SetThreadName? = dlsym(nil, "pthread_setname_np").map {
        unsafeBitCast($0, to: SetThreadName.self)
    }

    /// Work queued and not yet taken by a thread (for tests).
    var queuedCount: Int { queue.queuedCount }

    /// The threads now running or waiting for work (for tests).
    var threadCount: Int { queue.threadCount }

    /// Stops accepting work for the thread: the work already queued still runs, then the thread exits.
    /// Idempotent. Later `run` calls each get a thread of their own (see the type's documentation).
    public func shutdown() {
        queue.shutdown()
    }
}

typealias Job = @Sendable () -> Void

/// One cancellable call of ``BlockingWorker/runUnlessCancelled(_:)``: its caller is resumed exactly once, with
/// nil if it was cancelled before the work started, else with the work's result.
private final class Ticket<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var cancelled = false
        var started = false
    }

    private let state = Mutex(State())

    /// Registers the caller; false (and the caller resumed with nil) if it was cancelled already.
    func arm(_ continuation: CheckedContinuation<T?, Never>) -> Bool {
        let armed = state.withLock { s -> Bool in
            guard !s.cancelled else { return false }
            s.continuation = continuation
            return true
        }
        if !armed { continuation.resume(returning: nil) }
        return armed
    }

    /// The caller was cancelled: resume it with nil unless its work has started.
    func cancel() {
        let waiting = state.withLock { s -> CheckedContinuation<T?, Never>? in
            s.cancelled = true
            guard !s.started else { return nil }
            defer { s.continuation = nil }
            return s.continuation
        }
        waiting?.resume(returning: nil)
    }

    /// Runs the work on the worker thread, unless the caller was cancelled first.
    func start(_ work: @Sendable () -> T) {
        let go = state.withLock { s -> Bool in
            guard !s.cancelled else { return false }
            s.started = true
            return true
        }
        guard go else { return }
        let value = work()
        let waiting = state.withLock { s -> CheckedContinuation<T?, Never>? in
            defer { s.continuation = nil }
            return s.continuation
        }
        waiting?.resume(returning: value)
    }
}
