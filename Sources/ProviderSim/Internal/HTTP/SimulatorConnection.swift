import NIOCore
import NIOHTTP1

/// One client connection: reads HTTP/1.1 requests (NIO's decoder), answers them, and drives their streams from
/// the event loop's ``FrameClock``. Confined to the connection's event loop, as every channel handler is.
///
/// Why neither `HTTPServerPipelineHandler` nor `HTTPResponseEncoder` is in the pipeline:
/// - the pipeline handler stops reading while a response is in flight, so a client leaving mid-stream (or
///   leaving a provider that hangs) would be noticed at the next failed write, or never. Here reads go on during a
///   response; a pipelined request is held back (and reading paused) only when one actually arrives.
/// - the encoder writes three buffers per chunk (size line, data, CRLF) and allocates the size line. Here each
///   wake-up is one buffer the stream framed itself: one write and one flush per connection.
final class SimulatorConnection: ChannelDuplexHandler, FrameClockClient {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The largest request body read (Hummingbird's limit in the simulator before).
    static let maxBody = 16 << 20
    /// The largest `/_sim/config` body.
    static let maxConfigBody = 1 << 20

    enum Response {
        case none
        /// A stream sending its tokens on schedule.
        case streaming(ActiveStream)
        /// A non-streamed answer, sent whole once it is due.
        case delayed(SimpleResponse)
        /// `hang`: nothing more until the client leaves.
        case hanging
    }

    let simulator: ProviderSimulator
    let resources: LoopResources
    private var quiesceWhenActive: Bool
    var context: ChannelHandlerContext?
    var allocator = ByteBufferAllocator()
    var lifecycle = ConnectionLifecycle()
    private var requestHead: HTTPRequestHead?
    private var requestBody: ByteBuffer?
    var response = Response.none
    /// Whether the current chat request counts as in flight, so its end is still to be counted (once).
    var inFlight = false
    /// Request parts that arrived while a response was being sent (HTTP pipelining), in order.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>()
    private var readPending = false
    private var replaying = false
    var frameClockTicket: UInt64?

    /// - Parameter quiesced: the server is shutting down already: close as soon as the connection is idle.
    init(simulator: ProviderSimulator, resources: LoopResources, quiesced: Bool) {
        self.simulator = simulator
        self.resources = resources
        self.quiesceWhenActive = quiesced
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        allocator = context.channel.allocator
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if quiesceWhenActive { quiesce() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        lifecycle.closed()
        resources.clock.cancel(self)
        response = .none
        pipelined.removeAll()
        if inFlight {
            // The client left before the answer was complete: noticed here at once, whatever the answer was doing.
            inFlight = false
            simulator.end(.cancelled)
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiesce()
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, lifecycle.state == .idle || lifecycle.state == .receiving {
            lifecycle.closed()
            sendAndClose(SimpleResponse(status: 400, headers: [], body: ""))
        } else {
            context.close(promise: nil)
        }
    }

    func read(context: ChannelHandlerContext) {
        if pipelined.isEmpty {
            context.read()
        } else {
            readPending = true
        }
    }

    // MARK: Requests

    private func receive(_ part: HTTPServerRequestPart) {
        if lifecycle.state == .closed { return }
        if lifecycle.state == .responding || (!pipelined.isEmpty && !replaying) {
            pipelined.append(part)
            return
        }
        switch part {
        case .head(let head):
            _ = lifecycle.requestStarted(keepAlive: head.isKeepAlive)
            requestHead = head
            requestBody = nil
            if head.headers.contains(name: "expect"),
                head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" })
            {
                write(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n"), flush: true)
            }
        case .body(var chunk):
            guard lifecycle.state == .receiving else { return }
            if (requestBody?.readableBytes ?? 0) + chunk.readableBytes > Self.maxBody {
                // The rest of the body is not read: answer and close.
                lifecycle.closed()
                sendAndClose(.contentTooLarge)
            } else if requestBody == nil {
                requestBody = chunk
            } else {
                requestBody?.writeBuffer(&chunk)
            }
        case .end:
            guard lifecycle.state == .receiving, let head = requestHead else { return }
            lifecycle.requestCompleted()
            let body = requestBody ?? ByteBuffer()
            requestHead = nil
            requestBody = nil
            dispatch(head, body)
        }
    }

    private func dispatch(_ head: HTTPRequestHead, _ body: ByteBuffer) {
        let route = SimulatorRoute(method: head.method, uri: head.uri)
        switch route {
        case .chat, .responses, .messages, .generateContent: startAnswer(route, head, body)
        case .embeddings, .embedContent: startEmbedding(route, head, body)
        case .getConfig: finish(simulator.configResponse())
        case .postConfig:
            finish(body.readableBytes > Self.maxConfigBody ? .contentTooLarge : simulator.configure(body: body))
        case .stats: finish(simulator.statsResponse())
        case .reset: finish(simulator.reset())
        case .notFound: finish(.notFound)
        }
    }

    // MARK: Responses

    /// Sends a whole response and moves on to the next request (or closes).
    func finish(_ simple: SimpleResponse) {
        guard context != nil else { return }
        var buffer = allocator.buffer(capacity: 192 + simple.body.readableBytes)
        simple.write(closes: lifecycle.closesAfterResponse, date: resources.dateHeaderLine, into: &buffer)
        write(buffer, flush: true)
        responseCompleted()
    }

    func responseCompleted() {
        response = .none
        switch lifecycle.responseCompleted() {
        case .close: sendAndClose(ByteBuffer())
        case .readNext: replayPipelined()
        }
    }

    /// Delivers requests that were pipelined behind the response just sent, then resumes reading.
    private func replayPipelined() {
        guard !replaying else { return }
        replaying = true
        defer { replaying = false }
        while !pipelined.isEmpty, lifecycle.state == .idle || lifecycle.state == .receiving {
            receive(pipelined.removeFirst())
        }
        if pipelined.isEmpty, readPending, let context {
            readPending = false
            context.read()
        }
    }

    private func quiesce() {
        quiesceWhenActive = false
        switch lifecycle.quiesce() {
        case .closeNow: context?.close(promise: nil)
        case .closeAfterResponse, .none: break
        }
    }

    func write(_ buffer: ByteBuffer, flush: Bool) {
        guard let context else { return }
        context.write(wrapOutboundOut(buffer), promise: nil)
        if flush { context.flush() }
    }

    /// Sends a whole response that says `connection: close`, then closes.
    func sendAndClose(_ simple: SimpleResponse) {
        guard context != nil else { return }
        var buffer = allocator.buffer(capacity: 192 + simple.body.readableBytes)
        simple.write(closes: true, date: resources.dateHeaderLine, into: &buffer)
        sendAndClose(buffer)
    }

    /// Writes `buffer` and closes once it is written (closing at once would drop what is still queued).
    func sendAndClose(_ buffer: ByteBuffer) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
