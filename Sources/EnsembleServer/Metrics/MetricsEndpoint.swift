import EnsembleStore
import Hummingbird
import TriggerKit

/// `GET /metrics`: the server's metrics in Prometheus' text format (version 0.0.4), with the numbers that are only
/// read at scrape time (workflows per state, the watch hub's) brought up to date first.
public struct MetricsEndpoint: Sendable {
    /// The server's metrics.
    public let metrics: EnsembleMetrics
    /// The watch hub's status (nil without a trigger engine).
    let hub: @Sendable () -> FileTriggerStatus.Hub?

    /// - Parameters:
    ///   - hub: reads the trigger engine's watch hub status.
    public init(metrics: EnsembleMetrics, hub: @escaping @Sendable () -> FileTriggerStatus.Hub? = { nil }) {
        self.metrics = metrics
        self.hub = hub
    }

    /// The content type of the exposition format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func response(store: EMStore) async throws -> Response {
        let text = try await metrics.scrape(store: store, hub: hub())
        return Response(
            status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
