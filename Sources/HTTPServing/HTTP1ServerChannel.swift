import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 child channel with two additions shared by both servers: HTTP/1.0 connection handling
/// (``HTTPKeepAliveHandler``) and, optionally, a decision taken once per connection before its first request is
/// read (``ConnectionScreen``), such as the EM's owner check.
public struct HTTP1ServerChannel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let screen: ConnectionScreen?

    public init(responder: @escaping HTTPChannelHandler.Responder, screen: ConnectionScreen? = nil) {
        self.base = HTTP1Channel(responder: responder)
        self.screen = screen
    }

    public var responder: HTTPChannelHandler.Responder { base.responder }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Runs on the channel's event loop before its first read: the pipeline is complete, the version of each
            // request still known right after NIO's decoder.
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTPKeepAliveHandler(), position: .after(decoder))
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        guard let screen else { return await base.handle(value: value, logger: logger) }
        let channel = value.channel
        switch await screen(channel.remoteAddress, channel.localAddress) {
        case .serve:
            await base.handle(value: value, logger: logger)
        case .refuse(let answer):
            let serve = base.responder
            let refusing = HTTP1Channel(
                responder: { request, writer, channel in
                    if let response = answer(request) {
                        try await writer.write(response: response.head, body: response.body)
                    } else {
                        try await serve(request, writer, channel)
                    }
                }, configuration: base.configuration)
            await refusing.handle(value: value, logger: logger)
        }
    }
}

/// Decides, once when a connection opens, how its requests are answered; given the peer's and the server's
/// addresses.
public typealias ConnectionScreen =
    @Sendable (_ remote: SocketAddress?, _ local: SocketAddress?) async ->
    ConnectionAnswer

/// What a ``ConnectionScreen`` decided.
public enum ConnectionAnswer: Sendable {
    /// The connection is served as usual.
    case serve
    /// Each request is answered by the function, or served as usual when it returns nil (e.g. `/health`).
    case refuse(@Sendable (Request) -> Response?)
}

extension HTTPServerBuilder {
    /// HTTP/1 as hummingbird serves it, with ``HTTP1ServerChannel``'s HTTP/1.0 handling and optional screen.
    public static func http1Connections(screen: ConnectionScreen? = nil) -> HTTPServerBuilder {
        .init { responder in HTTP1ServerChannel(responder: responder, screen: screen) }
    }
}
