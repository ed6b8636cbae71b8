import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Caps glibc's malloc arenas of the server process at 2.
///
/// glibc gives each thread that contends for the heap an arena of its own, up to 8 per core, and never returns an
/// arena's free pages in the middle of it. The server's threads (a few event-loop and pool threads, the watch hub,
/// the I/O thread) mostly sleep; with thousands of triggers their arenas only fragment the heap: 2 arenas keep the
/// resident size of 10,000 + 1,000 triggers about 10 MB smaller (docs/PERFORMANCE.md). `MALLOC_ARENA_MAX` in the
/// environment, if set, wins. `mallopt` is not exported by Glibc's Swift module, so it is looked up with `dlsym`.
enum MallocArenas {
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    /// `M_ARENA_MAX` from `<malloc.h>`.
    private static let arenaMax: Int32 = -8

    /// Applies the cap once, before the server's threads start.
    static func limit(to count: Int32 = 2) {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil,
            let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt")
        else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, count)
    }
}
