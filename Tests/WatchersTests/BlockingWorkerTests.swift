import Foundation
import Glibc
import Synchronization
import Testing

@testable import Watchers

@Suite(.timeLimit(.minutes(1)))
struct BlockingWorkerTests {
    @Test func resultsComeBackInSubmissionOrder() async {
        let worker = BlockingWorker(name: "bw-order")
        let log = Locked<[Int]>([])
        // Sequential awaits: each result is the one asked for.
        for index in 0..<100 {
            let value = await worker.run { index * 2 }
            #expect(value == index * 2)
        }
        // While the thread is busy, enqueue 1,000 items in a known order (each caller is added only once the
        // previous one is queued), then let it go: they run in that order.
        let release = Locked(false)
        let blocking = Locked(false)
        async let blocker: Void = worker.run {
            blocking.withLock { $0 = true }
            while !release.withLock({ $0 }) { usleep(1_000) }
        }
        while !blocking.withLock({ $0 }) { await Task.yield() }
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<1_000 {
                group.addTask { await worker.run { log.withLock { $0.append(index) } } }
                while worker.queuedCount < index + 1 { await Task.yield() }
            }
            release.withLock { $0 = true }
        }
        await blocker
        #expect(log.withLock { $0 } == Array(0..<1_000))
    }

    @Test func tenThousandConcurrentCallersEachGetTheirOwnResult() async {
        let worker = BlockingWorker(name: "bw-concurrent")
        let results = await withTaskGroup(of: (Int, String).self) { group in
            for index in 0..<10_000 {
                group.addTask { (index, await worker.run { "result \(index)" }) }
            }
            var results: [Int: String] = [:]
            for await (index, value) in group { results[index] = value }
            return results
        }
        #expect(results.count == 10_000)
        #expect(results.allSatisfy { $0.value == "result \($0.key)" })
    }

    @Test func workRunsOnTheWorkerThreadNeverOnTheCaller() async {
        let worker = BlockingWorker(name: "bw-thread")
        var workerThreads = Set<Int>()
        for _ in 0..<200 {
            let caller = currentThreadID()
            let (thread, name, isMain) = await worker.run {
                (currentThreadID(), Thread.current.name, Thread.isMainThread)
            }
            #expect(thread != caller)
            #expect(name == "bw-thread")
            #expect(!isMain)
            workerThreads.insert(thread)
        }
        #expect(workerThreads.count == 1, "one dedicated thread")
        let comm =
            (try? String(contentsOfFile: "/proc/self/task/\(workerThreads.first!)/comm", encoding: .utf8))
            ?? ""
        #expect(comm == "bw-thread\n")
        // The thread names itself before running anything, for every worker (no race with `Thread.start`).
        for index in 0..<50 {
            let named = BlockingWorker(name: "bw-name-\(index)")
            #expect(await named.run { Thread.current.name } == "bw-name-\(index)")
        }
        let long = BlockingWorker(name: "a-very-long-worker-name")
        #expect(await long.run { Thread.current.name } == "a-very-long-wor")
    }

    @Test func shutdownLetsQueuedWorkFinishAndLaterCallsStillRunOffTheCaller() async {
        let worker = BlockingWorker(name: "bw-shut")
        let started = Locked(false)
        async let slow: Int = worker.run {
            started.withLock { $0 = true }
            usleep(100_000)
            return 1
        }
        while !started.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(1)) }
        async let queued: Int = worker.run { 2 }
        try? await Task.sleep(for: .milliseconds(20))
        worker.shutdown()
        worker.shutdown()  // idempotent
        #expect(await slow == 1)
        #expect(await queued == 2)
        let workerThread = await worker.run { Thread.current.name }
        #expect(workerThread == "bw-shut-late")
        let caller = currentThreadID()
        #expect(await worker.run { currentThreadID() } != caller)
    }

    /// An elastic worker: a stuck item holds one thread, the next items run on others meanwhile; at the limit,
    /// work waits for a thread to finish.
    @Test func aStuckItemDoesNotHoldUpTheOthersUpToTheThreadLimit() async {
        let worker = BlockingWorker(name: "bw-elastic", maxThreads: 2, idleTimeout: .seconds(30))
        let release = Locked(0)
        let stuck = Locked(0)
        @Sendable func stuckItem(_ index: Int) -> Int {
            stuck.withLock { $0 += 1 }
            while release.withLock({ $0 }) < index { usleep(1_000) }
            return index
        }
        async let first = worker.run { stuckItem(1) }
        while stuck.withLock({ $0 }) < 1 { await Task.yield() }
        // One thread is stuck: others still answer, on the second thread.
        for index in 0..<50 { #expect(await worker.run { index } == index) }
        #expect(worker.threadCount == 2)
        async let second = worker.run { stuckItem(2) }
        while stuck.withLock({ $0 }) < 2 { await Task.yield() }
        // Both threads stuck: the next item waits in the queue until one of them is free.
        async let third = worker.run { 3 }
        while worker.queuedCount < 1 { await Task.yield() }
        try? await Task.sleep(for: .milliseconds(50))
        #expect(worker.queuedCount == 1, "no third thread beyond maxThreads")
        release.withLock { $0 = 1 }
        #expect(await third == 3)
        #expect(await first == 1)
        release.withLock { $0 = 2 }
        #expect(await second == 2)
    }

    /// Idle threads exit after the idle timeout, and new work starts a thread again; many callers racing with
    /// threads timing out (a 1 ms timeout) each get their own result.
    @Test func idleThreadsExitAndComeBackOnDemand() async throws {
        let worker = BlockingWorker(name: "bw-idle", maxThreads: 4, idleTimeout: .milliseconds(100))
        #expect(await worker.run { 7 } == 7)
        #expect(worker.threadCount <= 1, "one thread for one item at a time (it may have left already)")
        let deadline = ContinuousClock.now + .seconds(10)
        while worker.threadCount > 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(worker.threadCount == 0)
        #expect(await worker.run { 8 } == 8)

        let racing = BlockingWorker(name: "bw-race", maxThreads: 8, idleTimeout: .milliseconds(1))
        for round in 0..<20 {
            let results = await withTaskGroup(of: (Int, Int).self) { group in
                for index in 0..<500 {
                    group.addTask {
                        if index % 50 == 0 { try? await Task.sleep(for: .milliseconds(2)) }
                        return (index, await racing.run { index * 3 + round })
                    }
                }
                var results: [Int: Int] = [:]
                for await (index, value) in group { results[index] = value }
                return results
            }
            #expect(results.count == 500 && results.allSatisfy { $0.value == $0.key * 3 + round })
            #expect(racing.threadCount <= 8)
        }
    }

    /// 100 workers created, used and released: their threads exit (no thread leaked per worker).
    @Test func releasedWorkersDoNotLeakThreads() async throws {
        let prefix = "bw-leak-\(UInt32.random(in: 0..<1000))"
        for index in 0..<100 {
            let worker = BlockingWorker(name: prefix)
            #expect(await worker.run { index } == index)
            if index % 2 == 0 { worker.shutdown() }
        }
        // Threads named `prefix` are ours alone, whatever other tests do in parallel.
        var remaining = threads(named: prefix)
        let deadline = ContinuousClock.now + .seconds(10)
        while remaining > 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            remaining = threads(named: prefix)
        }
        // The process-wide count is not compared: suites running in parallel start and end threads of their own.
        print("\(remaining) of 100 worker threads left")
        #expect(remaining == 0)
    }
}

/// A value behind a mutex, in a class so that closures can share it.
private final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Threads of this process whose `comm` (the first 15 bytes of the name) is `name`.
private func threads(named name: String) -> Int {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.count { task in
        let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
        return comm == String(name.utf8.prefix(15))! + "\n"
    }
}

/// The kernel thread id of the calling thread (Glibc's Swift module has no `gettid`): /proc/thread-self -> "P/task/T".
private func currentThreadID() -> Int {
    var buffer = [CChar](repeating: 0, count: 64)
    let length = readlink("/proc/thread-self", &buffer, buffer.count - 1)
    precondition(length > 0)
    let link = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return Int(link.split(separator: "/").last!)!
}
