import EnsembleCore
import EnsembleStore
import Foundation
import HTTPServing
import Hummingbird
import Logging
import PegasusAuth
import PegasusConfig
import ServiceLifecycle
import TriggerKit
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// Assembles and runs `pegasus-em server`: store, background services, then the HTTP API (last, so that a
/// graceful shutdown stops taking requests first).
public struct EnsembleServerRunner: Sendable {
    public let configuration: PegasusConfiguration
    public let logger: Logger

    public init(configuration: PegasusConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Checks the configuration that would make the server unusable, before anything is touched.
    public func preflight() throws {
        if geteuid() == 0, try !configuration.bool("EM_ALLOW_ROOT") {
            throw EMError(
                .invalid,
                "The ensemble manager should not be run as root (set EM_ALLOW_ROOT = True to allow it)")
        }
        let auth = configuration.string("AUTHENTICATION") ?? "PAMAuthentication"
        guard ["PAMAuthentication", "NoAuthentication"].contains(auth) else {
            throw EMError(
                .invalid, "Invalid AUTHENTICATION: \(auth) (use PAMAuthentication or NoAuthentication)")
        }
        let port = try configuration.emPort()
        _ = try configuration.seconds("EM_INTERVAL")
        let host = configuration.emHost
        if auth == "NoAuthentication", !TCPEndpoint.isLoopback(host: host),
            try !configuration.bool("EM_ALLOW_REMOTE_NOAUTH")
        {
            throw EMError(
                .invalid,
                "EM_HOST \(host) is not a loopback address and AUTHENTICATION is NoAuthentication: anyone who can "
                    + "reach \(host):\(port) could drive this ensemble manager. Use PAMAuthentication, a loopback "
                    + "EM_HOST (127.0.0.1), or set EM_ALLOW_REMOTE_NOAUTH = True to allow it")
        }
    }

    /// The authenticator for the configured `AUTHENTICATION`, nil for `NoAuthentication`.
    func authenticator() -> (any Authenticator)? {
        switch configuration.string("AUTHENTICATION") ?? "PAMAuthentication" {
        case "NoAuthentication": nil
        default: PAMAuthenticator(service: configuration.string("PAM_SERVICE") ?? "login")
        }
    }

    /// Runs until SIGTERM or SIGINT.
    /// - Parameter onListening: called with the bound port (useful with `EM_PORT = 0`).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try preflight()
        if let warning = configuration.passwordFileWarning() {
            logger.warning("\(warning)")
        }
        MallocArenas.limit()
        let databasePath = configuration.emDatabase
        try FileManager.default.createDirectory(
            atPath: (databasePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let lock = try InstanceLock(databasePath: databasePath)
        let store = try EMStore(path: databasePath)
        let health = HealthRegistry()
        let metrics = EnsembleMetrics()
        let components = try ServerComponents.make(
            store: store, configuration: configuration, health: health, logger: logger, metrics: metrics)
        let host = configuration.emHost
        let port = try configuration.emPort()
        let api = EnsembleAPI(
            manager: components.manager, health: health, authenticator: authenticator(),
            fallbackHost: "\(host):\(port)", metrics: MetricsEndpoint(metrics: metrics, hub: components.hubStatus))
        let access = OwnerOnlyAccess(logger: logger, passwordProtected: authenticator() != nil)
        let app = Application(
            router: api.router(),
            server: .http1Connections(screen: { remote, local in await access.screen(remote: remote, local: local) }),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            services: components.services,
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                FileHandle.standardError.write(
                    Data("pegasus-em server listening on http://\(host):\(bound) (store \(databasePath))\n".utf8))
                await onListening(bound)
            },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        withExtendedLifetime(lock) {}
        logger.info("Exiting")
    }
}

/// The long-running parts of the server besides HTTP, wired together.
struct ServerComponents {
    let manager: EnsembleManager
    let services: [any Service]
    /// The trigger engine's watch hub status, for `/metrics`.
    let hubStatus: @Sendable () -> FileTriggerStatus.Hub?

    static func make(
        store: EMStore, configuration: PegasusConfiguration, health: HealthRegistry, logger: Logger,
        metrics: EnsembleMetrics = EnsembleMetrics()
    ) throws -> ServerComponents {
        let environment = JobLauncher.environment(
            base: ProcessInfo.processInfo.environment,
            pegasusHome: configuration.string("PEGASUS_HOME") ?? ProcessInfo.processInfo.environment["PEGASUS_HOME"],
            condorHome: configuration.string("CONDOR_HOME") ?? ProcessInfo.processInfo.environment["CONDOR_HOME"])
        var schedulerConfiguration = WorkflowScheduler.Configuration(
            ensemblesDirectory: configuration.ensemblesDirectory)
        if let interval = try configuration.seconds("EM_INTERVAL"), interval > 0 {
            schedulerConfiguration.interval = .milliseconds(Int64(interval * 1000))
        }
        if let t = try configuration.seconds("PLANNING_TIMEOUT"), t > 0 { schedulerConfiguration.planningTimeout = t }
        if let t = try configuration.seconds("RUN_TIMEOUT"), t > 0 { schedulerConfiguration.runTimeout = t }
        if let t = try configuration.seconds("MASTER_DB_GRACE"), t >= 0 { schedulerConfiguration.masterGrace = t }
        let scheduler = WorkflowScheduler(
            store: store, launcher: JobLauncher(environment: environment),
            master: MasterDatabase(path: configuration.masterDatabase), configuration: schedulerConfiguration,
            health: health, logger: logger, metrics: metrics)
        let triggers = try TriggerEngine(
            store: store, workflows: scheduler, configuration: configuration, health: health, logger: logger,
            metrics: metrics.triggers)
        let manager = EnsembleManager(
            store: store, configuration: configuration, workflows: scheduler, triggers: triggers)
        let watching = triggers.supervisor.watching
        let pruner = try LedgerPruner.configured(configuration, store: store, logger: logger)
        return ServerComponents(
            manager: manager, services: [scheduler, triggers.supervisor] + (pruner.map { [$0] } ?? []),
            hubStatus: { watching.hubStatus })
    }
}
