import NIOCore
import NIOHTTP1

/// Gives HTTP/1.0 clients, and HTTP/1.1 clients that ask for `Connection: close`, the connection handling they
/// expect: a response they can read to the end of the connection, then the end of the connection.
///
/// Why it is needed: hummingbird's HTTP/1 channel converts each request to swift-http-types, which have no HTTP
/// version, and it closes a connection only when a request carries exactly `Connection: close`. An HTTP/1.0
/// request without `Connection: keep-alive` (ab, curl `-0`, old proxies and monitors) was answered as HTTP/1.1 on
/// a connection that stayed open, so such a client waited for an end that never came.
///
/// It sits between NIO's HTTP/1 decoder and hummingbird's conversion, where the version is still known:
/// - a request that does not keep the connection alive (`HTTPRequestHead.isKeepAlive`: HTTP/1.0 without
///   `keep-alive`, or any `close`) reaches hummingbird with `Connection: close`, so hummingbird closes its side
///   after the response as it does for HTTP/1.1; the response says `Connection: close`;
/// - a response to HTTP/1.0 is sent as HTTP/1.0 (NIO then never chunks it); one that keeps the connection alive
///   says `Connection: keep-alive` when its length is known, and otherwise says `close` and the output is closed
///   after it (an HTTP/1.0 body without a length ends with the connection);
/// - HTTP/1.1 requests that keep the connection alive are passed through untouched.
/// Requests pipelined on one connection are matched to their responses in order.
final class HTTPKeepAliveHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What a response must know of its request.
    struct RequestLine {
        var version: HTTPVersion
        var keepAlive: Bool
        var isHead: Bool
    }

    /// Requests whose final response has not been written yet, oldest first.
    private var waiting = CircularBuffer<RequestLine>()
    /// The response being written ends the connection (its output is closed after its end).
    private var closeAfterResponse = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let line = RequestLine(version: head.version, keepAlive: head.isKeepAlive, isHead: head.method == .HEAD)
        waiting.append(line)
        if !line.keepAlive {
            head.headers.replaceOrAdd(name: "Connection", value: "close")
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200 || head.status == .switchingProtocols:
            guard let line = waiting.popFirst() else { break }
            closeAfterResponse = Self.adjust(&head, for: line)
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .end where closeAfterResponse:
            closeAfterResponse = false
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in bound.value.close(mode: .output, promise: nil) }
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }

    /// Sets the version and `Connection` header of a final response to `line`; true when this handler must close
    /// the output after it (hummingbird closes it itself for a request it saw with `Connection: close`).
    static func adjust(_ head: inout HTTPResponseHead, for line: RequestLine) -> Bool {
        let isHTTP10 = line.version.major == 1 && line.version.minor == 0
        if isHTTP10 { head.version = .http1_0 }
        guard line.keepAlive else {
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            return false
        }
        guard isHTTP10 else { return false }
        let knownLength =
            line.isHead || head.headers.contains(name: "content-length")
            || [.noContent, .notModified].contains(head.status)
        head.headers.replaceOrAdd(name: "Connection", value: knownLength ? "keep-alive" : "close")
        return !knownLength
    }
}
