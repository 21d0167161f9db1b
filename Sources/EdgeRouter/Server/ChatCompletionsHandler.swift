import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers the chat endpoints of every dialect (``ChatEndpoint``: OpenAI's chat completions, Anthropic's
/// messages, Gemini's `generateContent`) on the connection's event loop, ahead of Hummingbird, and passes every
/// other request on to it.
///
/// Chat requests are the router's hot path: answered here, a request and each of its frames cost no task, no
/// async bridge and no hop between threads (the upstream call is on the same event loop). One per connection,
/// placed after HTTP decoding; responses stay in request order (``RequestOrder``), the client leaving stops the
/// request's upstream work (at the latest when a write to it fails: a half-close is not leaving), and a graceful
/// shutdown waits for the chat response being written.
final class ChatCompletionsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let pipeline: ChatPipeline
    private let gate: ConnectionGate
    private let wire: WireEnd
    private var context: ChannelHandlerContext?
    /// The channel's writability, kept as NIO reports its changes: asked for every frame of a stream.
    private(set) var isWritable = true
    /// The chat answer being written is sent in HTTP/1.1 chunks, which ``writeBody(_:flush:)`` frames itself.
    private var framesChunks = false
    private var order = RequestOrder()
    /// The chat request being answered: fed the request's parts as NIO reads them (a callback layer because reads
    /// arrive on the channel pipeline), and told when the connection can take writes again or is gone.
    private var responder: ChatResponder?
    /// A read was asked for while parts were held; it is made once they have been replayed.
    private var readDeferred = false
    /// A shutdown's quiesce event, held until the chat response being written has ended.
    private var quiesceDeferred: Any?
    /// The client half-closed while a chat request was read, answered or held: passed on once the chat answers
    /// are written.
    private var inputClosedDeferred = false

    init(pipeline: ChatPipeline, gate: ConnectionGate, wire: WireEnd) {
        self.pipeline = pipeline
        self.gate = gate
        self.wire = wire
    }

    /// Whether a request head names a chat endpoint, answered here.
    static func matches(_ head: HTTPRequest) -> Bool {
        ChatEndpoint(head) != nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isWritable = context.channel.isWritable
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        clientGone()
        self.context = nil
    }

    // MARK: Requests in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        dispatch(unwrapInboundIn(data), context: context)
    }

    /// Returns whether the part was passed on.
    @discardableResult
    private func dispatch(_ part: HTTPRequestPart, context: ChannelHandlerContext) -> Bool {
        // A head's endpoint is parsed once: it decides the side, and the responder answers in its dialect.
        var endpoint: ChatEndpoint?
        switch order.route(part, side: { head in
            endpoint = ChatEndpoint(head)
            return endpoint == nil ? .application : .router
        }) {
        case .passOn:
            if case .head(let head) = part, head.method == .post, order.applicationPending == 1,
                head.headerFields[.expect]?.lowercased() == "100-continue"
            {
                // Hummingbird does not answer the expectation: the client would wait (curl a second) before sending
                // the body of an embeddings request. Answered for the POST routes, which read a body (the others
                // answer at once and close), only when no other response is being written on this connection, so
                // that the interim head never lands inside another answer; the gate has checked the head's limits.
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
            context.fireChannelRead(wrapInboundOut(part))
            return true
        case .hold:
            return false
        case .handle:
            switch part {
            case .head(let head):
                // `route` said this head is the router's: it named a chat endpoint.
                guard let endpoint else { return false }
                // The configuration served now, kept by this request to its end (see ServingState).
                let responder = ChatResponder(
                    pipeline: pipeline.current(), head: head, endpoint: endpoint, connection: self,
                    peer: ClientLocator.peerAddress(of: context.channel), eventLoop: context.eventLoop)
                self.responder = responder
                responder.receiveHead()
            case .body(let buffer):
                responder?.receive(buffer)
            case .end:
                responder?.receiveEnd()
            }
            return false
        }
    }

    /// Routes the held parts again, now that a response has ended.
    private func replayHeld(context: ChannelHandlerContext) {
        if !order.held.isEmpty {  // most often: taking none would still make a new empty buffer
            var held = order.takeHeld()
            var passedOn = false
            while let part = held.popFirst() {
                passedOn = dispatch(part, context: context) || passedOn
            }
            // Hummingbird's async channel delivers what it was given at the end of a read.
            if passedOn { context.fireChannelReadComplete() }
        }
        if order.held.isEmpty, readDeferred {
            readDeferred = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        // Held parts are a client pipelining ahead of its answers: read no more until they have been replayed.
        guard order.held.isEmpty else {
            readDeferred = true
            return
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, order.routerBusy || !order.held.isEmpty {
            // The client closed its sending side. Some clients do so once the request is sent: a half-close is not a
            // disconnect, and the answer is still written. A client that really left is noticed when a write to it
            // fails (the channel then closes). Hummingbird hears of it once the answer has ended: it closes the
            // connection when its input ends.
            inputClosedDeferred = true
            return
        } else if event is ChannelShouldQuiesceEvent, order.routerBusy {
            quiesceDeferred = event
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientGone()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        isWritable = context.channel.isWritable
        if isWritable { responder?.writable() }
        context.fireChannelWritabilityChanged()
    }

    private func clientGone() {
        isWritable = false
        let responder = self.responder
        self.responder = nil
        responder?.clientGone()
    }

    // MARK: Responses out

    /// The application's responses pass through here: their end may release held requests.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        if case .end = unwrapOutboundIn(data) {
            order.applicationResponseEnded()
            replayHeld(context: context)
        }
    }

    /// Writes a part of the chat response.
    func write(_ part: HTTPResponsePart, flush: Bool = false) {
        guard let context else { return }
        context.write(wrapOutboundOut(part), promise: nil)
        if case .head(let head) = part, head.status.kind != .informational { framesChunks = gate.answerIsChunked }
        if flush { context.flush() }
    }

    /// Writes a piece of the chat response's body. In a chunked answer, a body started with
    /// ``ChunkFraming/reserve(in:)`` is framed in place and written past the HTTP encoder, as one buffer.
    func writeBody(_ body: inout ByteBuffer, flush: Bool) {
        if framesChunks, ChunkFraming.frame(&body) {
            wire.write(raw: body, flush: flush)
        } else {
            write(.body(body), flush: flush)
        }
    }

    /// Ends the chat response (and the connection, if `closing`), then goes on with what the client sent next.
    func endResponse(closing: Bool) {
        guard let context else { return }
        responder = nil
        framesChunks = false
        order.routerResponseEnded()
        if closing {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        // Only when the client has half-closed is it needed to know when the end has been written.
        let written = inputClosedDeferred ? context.eventLoop.makePromise(of: Void.self) : nil
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if let event = quiesceDeferred {
            quiesceDeferred = nil
            context.fireUserInboundEventTriggered(event)
        }
        replayHeld(context: context)
        // The half-close goes on once the answers to what the client sent before it are under way: the
        // application then closes the connection (after its own answers), so it waits for this end to be written.
        // A chat request replayed just now defers it again, to its own end.
        if let written, !order.routerBusy, order.held.isEmpty {
            inputClosedDeferred = false
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in
                bound.value.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        }
    }

    /// Closes the connection at once, dropping what is queued: for a client that stopped reading, whose queued
    /// answer would otherwise wait for it for ever.
    func abort() {
        guard let context else { return }
        responder = nil
        framesChunks = false
        context.close(promise: nil)
    }
}
