import Glibc
import Synchronization

/// The queue shared by a ``BlockingWorker`` and its threads: jobs in FIFO order, taken one at a time by up to
/// `maxThreads` threads, which the queue starts on demand and which exit after `idleTimeout` without work.
///
/// The state is guarded by a `Mutex`; idle threads park on a POSIX semaphore rather than a condition variable,
/// because a condition variable must be paired with its own pthread mutex and cannot wait on a
/// `Synchronization.Mutex`. The semaphore cannot lose a wake-up: a `sem_post` made before a thread reaches
/// `sem_wait` is remembered. `idle` counts the parked threads not yet promised a wake-up: enqueueing a job
/// takes one of them (and posts), or starts a thread when there is none and the limit allows, else the job
/// waits for the next thread that finishes. So a job never waits behind a busy thread while another could take
/// it. A thread whose wait times out withdraws its promise if `idle` still counts it (and leaves when there is
/// no job); otherwise a post is on its way and it waits for it, then takes the job.
final class WorkQueue: Sendable {
    private struct State {
        var jobs: [Job] = []
        var head = 0
        var idle = 0
        var threads = 0
        var isShutdown = false

        var pending: Int { jobs.count - head }

        mutating func take() -> Job? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head == jobs.count || head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private let state = Mutex(State())
    private let wakeup = Semaphore()
    private let maxThreads: Int
    private let idleTimeout: Duration?
    private let start: @Sendable (@escaping @Sendable () -> Void) -> Void

    /// - Parameter start: starts a thread running the given body (the worker names it).
    init(
        maxThreads: Int, idleTimeout: Duration?, start: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void
    ) {
        self.maxThreads = maxThreads
        self.idleTimeout = idleTimeout
        self.start = start
    }

    /// Appends `job` unless the queue is shut down; returns whether it was accepted.
    func enqueue(_ job: @escaping Job) -> Bool {
        enum Action { case none, wake, spawn }
        let (accepted, action) = state.withLock { state -> (Bool, Action) in
            guard !state.isShutdown else { return (false, .none) }
            state.jobs.append(job)
            if state.idle > 0 {
                state.idle -= 1
                return (true, .wake)
            }
            if state.threads < maxThreads {
                state.threads += 1
                return (true, .spawn)
            }
            return (true, .none)
        }
        switch action {
        case .none: break
        case .wake: wakeup.post()
        case .spawn: start { [self] in serve() }
        }
        return accepted
    }

    var queuedCount: Int { state.withLock { $0.pending } }
    var threadCount: Int { state.withLock { $0.threads } }

    /// Wakes every idle thread; each exits once no job is left.
    func shutdown() {
        let parked = state.withLock { state -> Int in
            state.isShutdown = true
            defer { state.idle = 0 }
            return state.idle
        }
        for _ in 0..<parked { wakeup.post() }
    }

    /// A thread's body: runs jobs one at a time until shut down and empty, or idle for `idleTimeout`.
    private func serve() {
        enum Step { case run(Job), park, exit }
        while true {
            let step = state.withLock { state -> Step in
                if let job = state.take() { return .run(job) }
                if state.isShutdown {
                    state.threads -= 1
                    return .exit
                }
                state.idle += 1
                return .park
            }
            switch step {
            case .run(let job): job()
            case .exit: return
            case .park:
                if wakeup.wait(timeout: idleTimeout) { continue }
                let after = state.withLock { state -> AfterTimeout in
                    // Our promise is still counted (nobody posts for us): withdraw it, and leave unless work came.
                    if state.idle > 0 {
                        state.idle -= 1
                        guard state.pending == 0 else { return .retry }
                        state.threads -= 1
                        return .leave
                    }
                    // It was taken: a post is on its way to a parked thread, which may be us.
                    return .awaitPost
                }
                switch after {
                case .leave: return
                case .retry: continue
                case .awaitPost: _ = wakeup.wait(timeout: nil)
                }
            }
        }
    }

    private enum AfterTimeout { case leave, retry, awaitPost }
}

/// A POSIX counting semaphore in stable memory.
private final class Semaphore: @unchecked Sendable {
    // sem_t must not move once initialised: allocate it instead of storing it inline.
    private let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init() {
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    func post() {
        sem_post(semaphore)
    }

    /// Waits for a post; false when `timeout` (nil: none) passed first.
    func wait(timeout: Duration?) -> Bool {
        guard let timeout else {
            while sem_wait(semaphore) != 0 && errno == EINTR {}
            return true
        }
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let (seconds, attoseconds) = timeout.components
        var nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        deadline.tv_nsec = nanoseconds
        while sem_timedwait(semaphore, &deadline) != 0 {
            if errno != EINTR { return false }
        }
        return true
    }
}
