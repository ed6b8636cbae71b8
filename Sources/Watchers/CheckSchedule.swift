/// When each root is due for its periodic check (a poll, or the cheap `stat` of an inotify or waiting root):
/// a binary min-heap, so the hub thread finds the next due root in O(log n) instead of scanning every root of
/// every subscription on each loop iteration.
///
/// Entries are never updated in place. Rescheduling a root pushes a new entry; the engine skips an entry whose
/// instant no longer matches the root's `nextCheck`, or whose root is gone. Every entry is at most one poll
/// interval in the future, so stale entries drain within one interval.
struct CheckSchedule {
    struct Entry {
        var instant: ContinuousClock.Instant
        var root: Int
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }

    /// The earliest entry, if any.
    var first: Entry? { heap.first }

    mutating func push(_ instant: ContinuousClock.Instant, root: Int) {
        heap.append(Entry(instant: instant, root: root))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].instant < heap[parent].instant else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func popFirst() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].instant < heap[smallest].instant { smallest = left }
            if right < heap.count && heap[right].instant < heap[smallest].instant { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    mutating func removeAll() {
        heap.removeAll()
    }
}
