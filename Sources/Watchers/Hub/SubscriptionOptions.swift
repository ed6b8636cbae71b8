/// How one ``WatchSubscription`` watches its roots.
public struct SubscriptionOptions: Sendable, Hashable {
    /// Requested mode of the subscription's roots; ``RootStatus/mode`` reports what each root actually uses.
    public var mode: WatchMode
    /// Follow symbolic links below the roots (to files and directories). Off by default: links are then
    /// neither reported nor descended into. Cycles are detected by (device, inode).
    public var followSymlinks: Bool

    /// Creates options; every parameter has a default.
    public init(mode: WatchMode = .automatic, followSymlinks: Bool = false) {
        self.mode = mode
        self.followSymlinks = followSymlinks
    }
}
