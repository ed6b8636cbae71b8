// ledger-bench: a file trigger whose directory holds a million files it already submitted (issue 15).
//
// 1. Creates the files (default on tmpfs, /dev/shm) and fills the trigger's ledger through the store in one
//    transaction (`createTrigger(ignoring:)`, as `skip_existing` records the files present at creation).
// 2. In process: one walk of the directory, the scan's ledger check in one pass and by index look-ups, and the
//    memory a million settled files take in `FileReadiness`.
// 3. The release `pegasus-em server` as a child process with that store and default settings: start, the start
//    scan, a reconciliation scan (RECONCILE_INTERVAL, 300 s by default), restarts, and its resident size against
//    a server whose trigger watches an empty directory.
@_spi(Benchmarks) import EnsembleStore
import Foundation
import TriggerKit
import Watchers

#if canImport(Glibc)
    import Glibc
#endif

struct Options {
    var files = 1_000_000
    var directory = "/dev/shm"
    var binary = "Benchmarks/.build/release/pegasus-em"
    var restarts = 3
    var reconcile = true
    var keep = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--files": files = Int(rest.popFirst() ?? "") ?? files
            case "--dir": directory = rest.popFirst() ?? directory
            case "--binary": binary = rest.popFirst() ?? binary
            case "--restarts": restarts = Int(rest.popFirst() ?? "") ?? restarts
            case "--no-reconcile": reconcile = false
            case "--keep": keep = true
            default:
                print(
                    "usage: ledger-bench [--files N] [--dir DIR] [--binary PATH] [--restarts N] [--no-reconcile] [--keep]"
                )
                exit(2)
            }
        }
    }
}

/// Seconds since an arbitrary start (monotonic).
func monotonic() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// This process's resident size in bytes.
func residentBytes() -> Int {
    let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
    return (Int(statm.split(separator: " ")[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func format(_ seconds: Double) -> String { String(format: "%.3f s", seconds) }

let options = Options(CommandLine.arguments)
let n = options.files
let base = "\(options.directory)/ledger-bench-\(getpid())"
let inbox = base + "/in"
try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
print("ledger-bench: \(n) files in \(inbox)")

// MARK: - 1. Files and ledger

var started = monotonic()
for i in 0..<n {
    let fd = open(inbox + String(format: "/f%07d.dat", i), O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create a file in \(inbox)")
    _ = write(fd, "x", 1)
    close(fd)
}
print("created \(n) files: \(format(monotonic() - started))")

let root = WatchRoot(path: inbox)
started = monotonic()
let scanned = scanFiles(root: root, followSymlinks: true)
let walk = monotonic() - started
precondition(scanned.count == n)
let inputs = scanned.map {
    TriggerInput(
        path: $0.path, device: $0.identity.device, inode: $0.identity.inode, size: $0.identity.size,
        mtimeNanoseconds: $0.identity.mtimeNanoseconds)
}

/// A store in `home` with ensemble `e` and a running file trigger `inbox` on `directory`, its ledger holding
/// `ledger`.
func makeStore(home: String, directory: String, ledger: [TriggerInput]) async throws -> (EMStore, Int64) {
    let store = try EMStore(path: home + "/.pegasus/em.db")
    _ = try await store.createEnsemble(name: "e", maxPlanning: 10, maxRunning: 10)
    let id = try await store.createFileTriggerForBenchmark(
        ensemble: "e", name: "inbox", patterns: [directory + "/*.dat"], basedir: home, ignoring: ledger)
    return (store, id)
}

let home = base + "/home"
started = monotonic()
let (store, triggerID) = try await makeStore(home: home, directory: inbox, ledger: inputs)
print("ledger filled with \(n) rows through the store (one transaction): \(format(monotonic() - started))")

// MARK: - 2. In process

started = monotonic()
_ = scanFiles(root: root, followSymlinks: true)
print(
    "walk of the directory (readdir + fstatat per file; the first, cold walk took \(format(walk))): \(format(monotonic() - started))"
)

for (name, bulkAbove) in [("one pass over the ledger (hash join)", 0), ("index look-ups, 500 paths a query", Int.max)] {
    started = monotonic()
    let flags = try await store.ledgerFlags(triggerID: triggerID, files: inputs, bulkAbove: bulkAbove)
    let took = monotonic() - started
    precondition(flags.allSatisfy { $0 }, "every file is recorded")
    print("ledger check of \(n) files, \(name): \(format(took))")
}

do {
    var readiness = FileReadiness(patterns: try FilePatternSet([inbox + "/*.dat"]), rules: ReadinessRules())
    let before = residentBytes()
    started = monotonic()
    readiness.recordedFound(scanned)
    let took = monotonic() - started
    let after = residentBytes()
    precondition(readiness.settledCount == n && readiness.isIdle)
    print(
        "settled \(n) files in FileReadiness: \(format(took)), resident +\((after - before) / 1_048_576) MiB = "
            + "\((after - before) / n) bytes per file")
    withExtendedLifetime(readiness) {}
}

// MARK: - 3. The real server

let emptyHome = base + "/empty-home"
let emptyInbox = base + "/empty-in"
try FileManager.default.createDirectory(atPath: emptyInbox, withIntermediateDirectories: true)
_ = try await makeStore(home: emptyHome, directory: emptyInbox, ledger: [])

/// Starts a server and waits until /health answers 200 and the trigger's start scan is done with no file pending.
/// - Returns: seconds to /health, to the start scan, to the hub's initial rescan (the second scan), and that
///   second scan's own duration.
func startAndWait(_ server: ServerProcess, files: Int) throws -> (
    health: Double, startScan: Double, secondScan: Double, secondScanSeconds: Double
) {
    let t0 = monotonic()
    try server.start()
    var health = 0.0
    var startScan = 0.0
    while monotonic() - t0 < 120 {
        if health == 0, server.get("/health")?.status == 200 { health = monotonic() - t0 }
        if health > 0, let watch = server.get("/ensembles/e/triggers/inbox")?.json?["watch"] as? [String: Any],
            let scan = watch["last_scan"] as? [String: Any], let count = scan["count"] as? Int,
            watch["pending_files"] as? Int == 0
        {
            if startScan == 0 { startScan = monotonic() - t0 }
            if count >= 2 { return (health, startScan, monotonic() - t0, scan["seconds"] as? Double ?? 0) }
        }
        usleep(20_000)
    }
    fatalError("the server did not finish its start scans within 120 s; see \(server.home)/server.log")
}

let binary = options.binary
guard FileManager.default.isExecutableFile(atPath: binary) else {
    print(
        "no server binary at \(binary): build it with swift build -c release --package-path Benchmarks --product pegasus-em"
    )
    exit(1)
}

let empty = ServerProcess(binary: binary, home: emptyHome, port: ServerProcess.freePort())
try empty.writeConfiguration()
_ = try startAndWait(empty, files: 0)
usleep(2_000_000)
let emptyRSS = empty.residentBytes()
empty.stop()
print("server with the trigger on an empty directory: resident \(emptyRSS / 1_048_576) MiB")

let server = ServerProcess(binary: binary, home: home, port: ServerProcess.freePort())
try server.writeConfiguration()
var runs: [(health: Double, startScan: Double, secondScan: Double, secondScanSeconds: Double)] = []
runs.append(try startAndWait(server, files: n))
print(
    "first start: /health \(format(runs[0].health)), start scan done \(format(runs[0].startScan)), "
        + "second scan done \(format(runs[0].secondScan)) (it took \(format(runs[0].secondScanSeconds)))")
usleep(2_000_000)
let fullRSS = server.residentBytes()
print(
    "server with \(n) settled files: resident \(fullRSS / 1_048_576) MiB, +\((fullRSS - emptyRSS) / 1_048_576) MiB "
        + "= \((fullRSS - emptyRSS) / n) bytes per ledger row")

if options.reconcile {
    print("waiting for a reconciliation scan (RECONCILE_INTERVAL, default 300 s)...")
    let t0 = monotonic()
    while monotonic() - t0 < 400 {
        if let watch = server.get("/ensembles/e/triggers/inbox")?.json?["watch"] as? [String: Any],
            let scan = watch["last_scan"] as? [String: Any], let count = scan["count"] as? Int, count >= 3
        {
            print(
                "reconciliation scan: \(format(scan["seconds"] as? Double ?? 0)) (\(scan["files"] ?? 0) files, "
                    + "\(scan["recorded"] ?? 0) checked in the ledger), pending after it: \(watch["pending_files"] ?? "?")"
            )
            break
        }
        usleep(500_000)
    }
    print("server resident after the reconciliation scan: \(server.residentBytes() / 1_048_576) MiB")
}

for restart in 1...max(1, options.restarts) {
    server.stop()
    let run = try startAndWait(server, files: n)
    runs.append(run)
    print(
        "restart \(restart): /health \(format(run.health)), start scan done \(format(run.startScan)), "
            + "second scan done \(format(run.secondScan)) (it took \(format(run.secondScanSeconds))), "
            + "resident \(server.residentBytes() / 1_048_576) MiB")
}
server.stop()
let workflows = try await store.workflows(ensemble: "e").count
print("workflows submitted over all runs: \(workflows) (0 expected: every file is in the ledger)")
if !options.keep {
    started = monotonic()
    try? FileManager.default.removeItem(atPath: base)
    print("removed \(base): \(format(monotonic() - started))")
}
