import Foundation
import Hummingbird
import Prometheus

/// The metrics of one `pegasus-service`, exported at `GET <prefix>/metrics` in Prometheus' text format: requests
/// by route template and status class, request durations, reader-helper exchanges, logins. Labels never carry user
/// data (no user names, no paths beyond the route templates). The service owns its registry; the global
/// `MetricsSystem` is never bootstrapped. docs/metrics.md lists every metric.
public final class ServiceMetrics: Sendable {
    /// The registry every metric of this service lives in.
    public let registry = PrometheusCollectorRegistry()
    let readerRuns: Counter
    let readerFailures: Counter
    let readerDuration: DurationHistogram
    let loginAttempts: Counter
    let loginFailures: Counter
    let loginThrottled: Counter

    /// The buckets of request and reader durations.
    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    public init() {
        readerRuns = registry.makeCounter(
            descriptor: .named(
                "pegasus_service_reader_requests_total",
                "Requests answered by a reader helper (PROCESS_SWITCHING), failed or not"))
        readerFailures = registry.makeCounter(
            descriptor: .named(
                "pegasus_service_reader_failures_total",
                "Reader-helper requests that failed (the helper crashed, timed out or could not start)"))
        readerDuration = registry.makeDurationHistogram(
            descriptor: .named(
                "pegasus_service_reader_duration_seconds",
                "Time of one reader-helper request, including starting a helper"),
            buckets: ServiceMetrics.buckets)
        loginAttempts = registry.makeCounter(
            descriptor: .named(
                "pegasus_service_login_attempts_total",
                "Passwords checked through PAM (cached logins and throttled ones not counted)"))
        loginFailures = registry.makeCounter(
            descriptor: .named("pegasus_service_login_failures_total", "Passwords refused"))
        loginThrottled = registry.makeCounter(
            descriptor: .named(
                "pegasus_service_login_throttled_total", "Logins refused with 429 after too many failures"))
    }

    /// One request answered: counted by route template, method and status class, and timed.
    func request(route: String?, method: String, status: Int, duration: Duration) {
        let route = route ?? "unmatched"
        registry.makeCounter(
            descriptor: .named(
                "pegasus_service_requests_total",
                "HTTP requests by route template, method and status class (2xx, 4xx, ...)"),
            labels: [("route", route), ("method", method), ("status", Self.statusClass(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .named(
                "pegasus_service_request_duration_seconds",
                "HTTP request duration by route template and method, until the response head"),
            labels: [("route", route), ("method", method)], buckets: Self.buckets
        ).record(duration)
    }

    /// What happened to a login.
    enum LoginEvent {
        /// A password was checked.
        case attempt
        /// It was refused.
        case failure
        /// The login was refused with 429 before any check.
        case throttled
    }

    /// Counts a login event.
    func login(_ event: LoginEvent) {
        switch event {
        case .attempt: loginAttempts.increment()
        case .failure: loginFailures.increment()
        case .throttled: loginThrottled.increment()
        }
    }

    /// One reader-helper request ended.
    func readerRan(duration: Duration, failed: Bool) {
        readerRuns.increment()
        readerDuration.record(duration)
        if failed { readerFailures.increment() }
    }

    /// `2xx`, `4xx`, ...
    static func statusClass(_ status: Int) -> String {
        (1...5).contains(status / 100) ? "\(status / 100)xx" : "other"
    }

    /// The exposition (text format 0.0.4).
    func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: registry.emitToString())))
    }
}

/// Counts and times every request (outermost, so that answers made from errors count with their status).
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(
                route: context.endpointPath, method: request.method.rawValue, status: Int(response.status.code),
                duration: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(
                route: context.endpointPath, method: request.method.rawValue, status: Int(status),
                duration: ContinuousClock.now - started)
            throw error
        }
    }
}

extension AccessControl {
    /// Who may read `/metrics`: with NoAuthentication anyone who reaches the service (as every page then); with
    /// PAM an admin (`ADMIN_USERS`) or the user the service runs as. Everyone else gets 403.
    func mayReadMetrics(_ context: ServiceRequestContext) -> Bool {
        guard case .basic = authentication else { return true }
        guard let login = context.login else { return false }
        return admins.isAdmin(login.name) || login.name == serviceUser.name
    }
}

extension MetricNameDescriptor {
    /// A descriptor of a full metric name (unit suffix included) with its help text.
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
