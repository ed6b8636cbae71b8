import Watchers

/// How a file trigger's roots are watched: what a trigger asks for (`watch_mode`) and, in a status, what a root
/// uses.
public enum FileWatchMode: Sendable, Hashable {
    /// inotify on local filesystems, polling on network and cluster filesystems and when inotify runs out.
    case automatic
    /// Always inotify (still polling when the kernel refuses more watches, rather than missing files).
    case inotify
    /// Always poll.
    case polling

    /// The mode a trigger definition's `watch_mode` asks for: `inotify`, `poll`, anything else automatic.
    public init(definition: String?) {
        switch definition {
        case "inotify": self = .inotify
        case "poll": self = .polling
        default: self = .automatic
        }
    }

    init(_ mode: WatchMode) {
        switch mode {
        case .automatic: self = .automatic
        case .inotify: self = .inotify
        case .polling: self = .polling
        }
    }

    var watchMode: WatchMode {
        switch self {
        case .automatic: .automatic
        case .inotify: .inotify
        case .polling: .polling
        }
    }
}
