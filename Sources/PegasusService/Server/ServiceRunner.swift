import EnsembleCore
import Foundation
import HTTPServing
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import PegasusAuth
import PegasusConfig
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// The settings of `pegasus-service`, read and checked from the configuration before anything starts.
public struct ServiceSettings: Sendable {
    public var host: String
    public var port: Int
    public var prefix: String
    public var authentication: String
    public var pamService: String
    public var admins: AdminPolicy
    public var processSwitching: Bool
    public var certificate: String?
    public var privateKey: String?
    /// Where a generated certificate is kept: `~/.pegasus` of the service user.
    public var certificateDirectory: String
    /// The service user's home (`HOME`).
    public var home: String

    /// Reads the settings; command-line host and port win over SERVER_HOST/SERVER_PORT.
    public init(
        configuration: PegasusConfiguration, host: String? = nil, port: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.host = host ?? configuration.string("SERVER_HOST") ?? "localhost"
        let port = try port ?? configuration.int("SERVER_PORT") ?? 5000
        guard (0...65535).contains(port) else {
            throw ConfigurationError(
                file: configuration.sources["SERVER_PORT"] ?? "command line", line: 0, key: "SERVER_PORT",
                reason: "port must be 0...65535, got \(port)")
        }
        self.port = port
        do {
            prefix = try ServiceLinks.normalize(
                environment["PEGASUS_SERVICE_URL_PREFIX"] ?? configuration.string("PEGASUS_SERVICE_URL_PREFIX"))
        } catch {
            throw EMError(.invalid, error.message)
        }
        authentication = configuration.string("AUTHENTICATION") ?? "PAMAuthentication"
        guard ["PAMAuthentication", "NoAuthentication"].contains(authentication) else {
            throw EMError(
                .invalid, "Invalid AUTHENTICATION: \(authentication) (use PAMAuthentication or NoAuthentication)")
        }
        pamService = configuration.string("PAM_SERVICE") ?? "login"
        admins = try AdminPolicy(configuration["ADMIN_USERS"], source: configuration.sources["ADMIN_USERS"] ?? "")
        processSwitching = try configuration.bool("PROCESS_SWITCHING")
        certificate = configuration.string("CERTIFICATE").map(configuration.expandingTilde)
        privateKey = configuration.string("PRIVATE_KEY").map(configuration.expandingTilde)
        certificateDirectory = configuration.home + "/.pegasus"
        home = configuration.home
    }

    /// Problems that make the service unusable, found before it starts.
    public func preflight() throws {
        if processSwitching && geteuid() != 0 {
            throw EMError(
                .invalid,
                "Pegasus service must run as root to enable process switching (or set PROCESS_SWITCHING = False)")
        }
        if authentication == "PAMAuthentication" && geteuid() != 0 {
            // Not fatal: pam_unix can then only check the service user's own password.
            FileHandle.standardError.write(
                Data(
                    "pegasus-service: not running as root: PAM can only authenticate \(UnixUser.current().name)\n".utf8)
            )
        }
    }
}

/// Assembles and runs `pegasus-service`: HTTPS, authentication, the monitoring API and the dashboard.
public struct PegasusServiceRunner: Sendable {
    public let settings: ServiceSettings
    public let logger: Logger
    /// The binary started as reader helper with PROCESS_SWITCHING (normally this executable).
    public let readerExecutable: String

    public init(settings: ServiceSettings, logger: Logger, readerExecutable: String) {
        self.settings = settings
        self.logger = logger
        self.readerExecutable = readerExecutable
    }

    /// Runs until SIGTERM or SIGINT.
    /// - Parameter onListening: called with the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try settings.preflight()
        let certificate = try ServiceCertificate.load(
            certificate: settings.certificate, privateKey: settings.privateKey,
            directory: settings.certificateDirectory, hostName: settings.host, logger: logger)
        logger.notice(
            "TLS certificate",
            metadata: [
                "path": "\(certificate.certificatePath)", "origin": "\(certificate.origin)",
                "sha256": "\(certificate.fingerprint)",
            ])
        let metrics = ServiceMetrics()
        let pool = ReaderPool(executable: readerExecutable, logger: logger, metrics: metrics)
        let access = makeAccessControl(pool: pool, metrics: metrics)
        let links = ServiceLinks(prefix: settings.prefix)
        let router = ServiceRouter.make(access: access, links: links, metrics: metrics)
        let host = settings.host
        let app = Application(
            router: router,
            server: try .tls(.http1Connections(), tlsConfiguration: certificate.serverTLSConfiguration()),
            configuration: .init(address: .hostname(host, port: settings.port), serverName: nil),
            services: settings.processSwitching ? [pool] : [],
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? settings.port
                FileHandle.standardError.write(
                    Data("pegasus-service listening on https://\(host):\(bound)\(links.prefix)/\n".utf8))
                await onListening(bound)
            },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.info("Exiting")
    }

    func makeAccessControl(pool: ReaderPool, metrics: ServiceMetrics? = nil) -> AccessControl {
        let authentication: ServiceAuthentication =
            settings.authentication == "NoAuthentication"
            ? .none : .basic(PAMAuthenticator(service: settings.pamService))
        let reader = UserDataReader()
        let directory = UserDirectory()
        let switching = settings.processSwitching
        // The service user's own data is found through HOME (as `pegasus-em` does); everyone else's through the
        // password database.
        let current = UnixUser.current()
        let serviceUser = UnixUser(name: current.name, uid: current.uid, gid: current.gid, home: settings.home)
        return AccessControl(
            authentication: authentication, admins: settings.admins, processSwitching: switching,
            serviceUser: serviceUser, metrics: metrics,
            lookup: { name in name == serviceUser.name ? serviceUser : directory.named(name) },
            readers: { user in
                switching ? pool.source(for: user) : LocalUserData(reader: reader, owner: user.uid)
            })
    }
}

/// The routes of `pegasus-service`, all under the URL prefix.
public enum ServiceRouter {
    /// - Parameter metrics: counts every request and is served at `<prefix>/metrics` (to admins with PAM).
    public static func make(access: AccessControl, links: ServiceLinks, metrics: ServiceMetrics? = nil) -> Router<
        ServiceRequestContext
    > {
        let router = Router(context: ServiceRequestContext.self)
        if let metrics { router.add(middleware: RequestMetricsMiddleware(metrics: metrics)) }
        router.add(middleware: ServiceErrorMiddleware(links: links))
        let root = links.prefix.isEmpty ? router.group() : router.group(RouterPath(links.prefix))
        root.get("static/dashboard.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: Layout.styleSheet)))
        }
        root.add(middleware: AuthenticationMiddleware(access: access))
        if let metrics {
            root.get("metrics") { _, context in
                guard access.mayReadMetrics(context) else {
                    throw ServiceFailure.forbidden("Only admins (ADMIN_USERS) and the service user may read metrics")
                }
                return metrics.response()
            }
        }
        root.get("/") { _, context in
            Response(status: .found, headers: [.location: links.user(access.homeUser(context))])
        }
        MonitoringAPI(access: access).addRoutes(to: root.group("api/v1/user/:username"))
        Dashboard(access: access, links: links).addRoutes(to: root.group("u/:username"))
        return router
    }
}
