import Foundation
import Synchronization

/// One timer for every sleeping trigger of a server: a trigger that sleeps until a time registers its wake-up
/// signal here and waits on the signal alone, and one task (``run()``) sleeps until the earliest registered time on
/// the injected clock and signals what is due.
///
/// Without it every sleeping trigger would hold a task group with a timer task and a signal task: with 10,000
/// triggers that is 30,000 tasks and about 100 MB of task memory for nothing.
public final class TriggerAlarms: Sendable {
    private struct Entry: Sendable {
        var deadline: Date
        var id: Int
        var ring: @Sendable () -> Void
    }

    private struct State: Sendable {
        /// A binary min-heap by deadline; cancelled entries stay until they come up (lazy deletion).
        var heap: [Entry] = []
        /// The ids not yet fired or cancelled.
        var active: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())
    private let changed = AsyncSignal()
    /// The clock the alarms ring on.
    public let clock: any TriggerClock

    /// Creates the alarms of a server; call ``run()`` to make them ring.
    public init(clock: any TriggerClock) {
        self.clock = clock
    }

    /// Signals `signal` at `deadline` (or as soon as ``run()`` sees it if it has passed).
    /// - Returns: a token for ``cancel(_:)``.
    public func schedule(_ deadline: Date, signal: AsyncSignal) -> Int {
        schedule(deadline) { signal.signal() }
    }

    /// Calls `ring` at `deadline` (from the task running ``run()``; it must not block).
    /// - Returns: a token for ``cancel(_:)``.
    public func schedule(_ deadline: Date, ring: @escaping @Sendable () -> Void) -> Int {
        let (id, earliest) = state.withLock { s -> (Int, Bool) in
            s.nextID += 1
            let earliest = s.heap.first.map { deadline < $0.deadline } ?? true
            s.active.insert(s.nextID)
            Self.push(&s.heap, Entry(deadline: deadline, id: s.nextID, ring: ring))
            return (s.nextID, earliest)
        }
        if earliest { changed.signal() }
        return id
    }

    /// Forgets an alarm that has not rung yet.
    public func cancel(_ token: Int) {
        state.withLock { s in
            s.active.remove(token)
            // Keep the heap from filling up with cancelled entries of triggers woken early again and again.
            if s.heap.count > 64 && s.heap.count > 2 * s.active.count {
                s.heap = s.heap.filter { s.active.contains($0.id) }
                s.heap.sort { $0.deadline < $1.deadline }  // a sorted array is a valid heap
            }
        }
    }

    /// How many alarms are set.
    public var count: Int { state.withLock { $0.active.count } }

    /// Rings alarms until cancelled.
    public func run() async {
        while !Task.isCancelled {
            let now = clock.now()
            let (due, next) = state.withLock { s -> ([@Sendable () -> Void], Date?) in
                var due: [@Sendable () -> Void] = []
                while let first = s.heap.first, first.deadline <= now {
                    let entry = Self.popFirst(&s.heap)
                    if s.active.remove(entry.id) != nil { due.append(entry.ring) }
                }
                while let first = s.heap.first, !s.active.contains(first.id) { _ = Self.popFirst(&s.heap) }
                return (due, s.heap.first?.deadline)
            }
            for ring in due { ring() }
            await changed.wait(until: next, clock: clock)
        }
    }

    // MARK: - Heap

    private static func push(_ heap: inout [Entry], _ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func popFirst(_ heap: inout [Entry]) -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
