import EnsembleStore
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Moves submitted inputs into `processed/` (Pegasus' behaviour, on request), exactly once: the destination was
/// chosen and recorded with the workflow in the submitting transaction; a file already there, or replaced
/// meanwhile, is not moved again. The renames run on a serial queue of their own, one batch after the other:
/// never on the concurrency pool, and never behind the triggers' scans.
struct ProcessedFilesMover: Sendable {
    let store: EMStore
    let logger: Logger
    private static let queue = DispatchQueue(label: "pegasus-em.processed-moves")

    init(store: EMStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Carries out every recorded move that is not done yet (after a submission, and at start for the moves a
    /// crash interrupted).
    func moveRecorded() async {
        guard let moves = try? await store.pendingMoves(), !moves.isEmpty else { return }
        let outcomes = await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: moves.map(Self.move)) }
        }
        for case (let move, let problem?) in zip(moves, outcomes) {
            switch problem {
            case .vanished:
                logger.warning("input vanished before its move", metadata: ["path": "\(move.source)"])
            case .failed(let error):
                // Not retried: the workflow must not wait forever; its planner will report the missing input.
                logger.error(
                    "cannot move input into processed/", metadata: ["path": "\(move.source)", "error": "\(error)"])
            }
        }
        try? await store.markMoved(moves.map(\.id))
    }

    enum Problem: Sendable {
        case vanished
        case failed(String)
    }

    /// One move; nil when it is done (now or before).
    static func move(_ move: PendingMove) -> Problem? {
        // attributesOfItem does not follow symbolic links: a linked input is moved as the link.
        if (try? FileManager.default.attributesOfItem(atPath: move.destination)) != nil { return nil }
        let source = try? FileManager.default.attributesOfItem(atPath: move.source)
        guard let source, (source[.systemFileNumber] as? NSNumber)?.uint64Value == move.inode,
            (source[.systemNumber] as? NSNumber)?.uint64Value == move.device
        else { return .vanished }
        let directory = (move.destination as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard rename(move.source, move.destination) == 0 else { return .failed(String(cString: strerror(errno))) }
        return nil
    }
}
