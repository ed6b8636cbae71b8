import Foundation
import Watchers

#if canImport(Glibc)
    import Glibc
#endif

/// How a file-pattern trigger discovers, judges and batches files.
public struct FileTriggerOptions: Sendable {
    /// The patterns and ignore rules.
    public var patterns: FilePatternSet
    /// When a file is ready (quiet period, settle period, ready marker).
    public var rules: ReadinessRules
    /// At most this many files per workflow.
    public var maxFiles: Int
    /// Bytes of the plan command before the file names (script, args, `--inputs`), for the ARG_MAX budget.
    public var commandBytes: Int
    /// How the watch hub watches the roots (mode, symbolic links).
    public var watch: SubscriptionOptions
    /// Seconds between safety-net scans of every root.
    public var reconcileInterval: Double
    /// Directories whose files are never matched (the EM's own directories).
    public var excludedDirectories: [String]

    /// The default `max_files`.
    public static let defaultMaxFiles = 1000

    /// Creates options; every parameter but the patterns has a default.
    public init(
        patterns: FilePatternSet, rules: ReadinessRules = ReadinessRules(), maxFiles: Int = defaultMaxFiles,
        commandBytes: Int = 0, watch: SubscriptionOptions = SubscriptionOptions(), reconcileInterval: Double = 300,
        excludedDirectories: [String] = []
    ) {
        self.patterns = patterns
        self.rules = rules
        self.maxFiles = maxFiles
        self.commandBytes = commandBytes
        self.watch = watch
        self.reconcileInterval = reconcileInterval
        self.excludedDirectories = excludedDirectories
    }

    /// Creates options watching in `watchMode`; symbolic links below the roots are followed when
    /// `followSymlinks` is set.
    public init(
        patterns: FilePatternSet, rules: ReadinessRules, maxFiles: Int, commandBytes: Int, watchMode: FileWatchMode,
        followSymlinks: Bool, reconcileInterval: Double, excludedDirectories: [String]
    ) {
        self.init(
            patterns: patterns, rules: rules, maxFiles: maxFiles, commandBytes: commandBytes,
            watch: SubscriptionOptions(mode: watchMode.watchMode, followSymlinks: followSymlinks),
            reconcileInterval: reconcileInterval, excludedDirectories: excludedDirectories)
    }

    /// The roots the hub watches.
    public var roots: [WatchRoot] {
        patterns.watchRoots.map { WatchRoot(path: $0.path, depth: $0.depth) }
    }

    /// Splits files into workflows of at most ``maxFiles`` files whose command line stays under the argument
    /// budget.
    public func batches(_ files: [ScannedFile]) -> [[ScannedFile]] {
        let budget = Self.argumentBudget - commandBytes
        var result: [[ScannedFile]] = []
        var current: [ScannedFile] = []
        var bytes = 0
        for file in files {
            let size = file.path.utf8.count + 1 + MemoryLayout<UnsafePointer<CChar>>.size
            if !current.isEmpty && (current.count >= max(1, maxFiles) || bytes + size > budget) {
                result.append(current)
                current = []
                bytes = 0
            }
            current.append(file)
            bytes += size
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// Half of ARG_MAX (the other half is left to the environment), at most 1 MiB.
    public static let argumentBudget: Int = {
        let max = sysconf(Int32(_SC_ARG_MAX))
        return Swift.min(max > 0 ? max / 2 : 64 * 1024, 1 << 20)
    }()
}
