import NIOCore
import NIOHTTP1

/// What a pooled connection tells the request it carries, on the connection's event loop, one call at a time.
protocol UpstreamResponseReceiver: AnyObject {
    /// The response's head.
    func upstreamResponse(head: HTTPResponseHead)
    /// A piece of the body, a slice of what was read (no copy). False pauses reading from the provider until
    /// ``UpstreamConnection/resumeReading(for:)``.
    func upstreamResponse(body: ByteBuffer) -> Bool
    /// One burst of reads from the socket has been handed on: the moment to flush what the pieces wrote.
    func upstreamResponseReadBurstEnded()
    /// The response is complete.
    func upstreamResponseEnded()
    /// The request failed or the connection broke; nothing follows.
    func upstreamResponse(failed error: UpstreamConnectionError)
}

/// One keep-alive HTTP/1.1 connection to a provider, and the last handler of its pipeline (after TLS and NIO's
/// HTTP/1 codec): it writes a request with one flush, hands the response's head and body slices to its
/// receiver, holds reads while the receiver is behind, and goes back to its loop's pool when the response ends.
///
/// `@unchecked Sendable` is safe because every stored `var` is touched on the channel's event loop only: NIO
/// calls the handler there, and the pool and the calls using the connection live on that loop too.
final class UpstreamConnection: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let home: UpstreamLoopPool
    private var state = UpstreamConnectionState()
    private var context: ChannelHandlerContext?
    private var receiver: (any UpstreamResponseReceiver)?
    /// When the connection last went idle, and the timer that closes it after the pool's idle timeout (at most
    /// one per connection, see ``UpstreamLoopPool``).
    var idleSince = NIODeadline.now()
    var idleTimer: Scheduled<Void>?
    /// Set when the pool adopts the connection (its connect won): only then does its close count against the
    /// pool. Happy eyeballs may open and drop other channels with their own handlers before that.
    var isAdopted = false

    init(home: UpstreamLoopPool) {
        self.home = home
    }

    /// Whether the connection can carry a request now: idle and open.
    var isUsable: Bool {
        state.isReady && (context?.channel.isActive ?? false)
    }

    /// Requests this connection has started.
    var requestsStarted: Int { state.requests }

    /// Sends `request` and makes `receiver` hear its response. Returns false, sending nothing, when the
    /// connection cannot take it (it closed meanwhile).
    func start(_ request: UpstreamRequest, receiver: any UpstreamResponseReceiver) -> Bool {
        guard let context, context.channel.isActive, state.start() else { return false }
        // The idle timer is left to run: when it fires on a busy connection it just lapses, and the next release
        // arms it again. Cancelling it here would cost a timer per request.
        self.receiver = receiver
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if request.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        return true
    }

    /// Returns the connection, unused, to its pool (its request was cancelled while it was being found).
    func giveBack() {
        guard state.isReady else { return }
        home.release(self)
    }

    /// `receiver` gives up on its request: a response under way is cut by closing the connection. A receiver
    /// whose response already ended (the connection may carry another request by now) changes nothing.
    func abort(for receiver: any UpstreamResponseReceiver) {
        guard self.receiver === receiver else { return }
        self.receiver = nil
        if state.abort() { context?.close(promise: nil) }
    }

    /// `receiver` caught up: a read held for it goes ahead.
    func resumeReading(for receiver: any UpstreamResponseReceiver) {
        guard self.receiver === receiver, state.resume() else { return }
        context?.read()
    }

    /// Closes the connection (idle timeout, shutdown, the pool's limit).
    func close() {
        _ = state.failed()
        context?.close(promise: nil)
    }

    // MARK: ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            state.receivedHead(keepAlive: head.isKeepAlive)
            receiver?.upstreamResponse(head: head)
        case .body(let body):
            if let receiver, !receiver.upstreamResponse(body: body) { state.pause() }
        case .end:
            let receiver = self.receiver
            self.receiver = nil
            switch state.receivedEnd() {
            case .release: home.release(self)
            case .close: context.close(promise: nil)
            case .ignore: break
            }
            receiver?.upstreamResponseEnded()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        receiver?.upstreamResponseReadBurstEnded()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if state.read() { context.read() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(.broken(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.closedByProvider)
        if isAdopted { home.closed(self) }
        context.fireChannelInactive()
    }

    private func fail(_ kind: UpstreamConnectionError.Kind) {
        switch state.failed() {
        case .failRequest(let retryable):
            let receiver = self.receiver
            self.receiver = nil
            receiver?.upstreamResponse(failed: UpstreamConnectionError(kind, retryable: retryable))
        case .dropIdle, .ignore:
            receiver = nil
        }
    }
}

/// A request ready to write: its head (with `Host` and `Content-Length`) and its body.
struct UpstreamRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
}

/// Why an upstream request failed below HTTP: the words for clients come from ``UpstreamErrorText/describe(_:)``.
struct UpstreamConnectionError: Error, CustomStringConvertible {
    enum Kind {
        /// Connecting to `target` (`host:port`, for the logs) failed (refused, DNS, timeout): the underlying error.
        case connect(any Error, target: String)
        /// The connection failed while carrying the request (reset, TLS alert, a malformed response).
        case broken(any Error)
        /// The provider closed the connection before the response was complete.
        case closedByProvider
        /// The pool is shut down.
        case shutDown
    }

    let kind: Kind
    /// Nothing of the response came, on a connection reused from the pool: a fresh connection may carry the
    /// request again (the provider closed an idle keep-alive connection as the request went out).
    let retryable: Bool

    init(_ kind: Kind, retryable: Bool = false) {
        self.kind = kind
        self.retryable = retryable
    }

    var description: String {
        switch kind {
        case .connect(let error, let target): "connecting to \(target) failed: \(error)"
        case .broken(let error): "the connection failed: \(error)"
        case .closedByProvider: "the provider closed the connection"
        case .shutDown: "the upstream pool is shut down"
        }
    }
}
