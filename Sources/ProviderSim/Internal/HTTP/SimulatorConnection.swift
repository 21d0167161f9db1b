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

    private enum Response {
        case none
        /// A stream sending its tokens on schedule.
        case streaming(ActiveStream)
        /// A non-streamed answer, sent whole once it is due.
        case delayed(SimpleResponse)
        /// `hang`: nothing more until the client leaves.
        case hanging
    }

    private let simulator: ProviderSimulator
    private let resources: LoopResources
    private var quiesceWhenActive: Bool
    private var context: ChannelHandlerContext?
    private var allocator = ByteBufferAllocator()
    private var lifecycle = ConnectionLifecycle()
    private var requestHead: HTTPRequestHead?
    private var requestBody: ByteBuffer?
    private var response = Response.none
    /// Whether the current chat request counts as in flight, so its end is still to be counted (once).
    private var inFlight = false
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

    // MARK: Answers

    /// A request on a provider endpoint: refused (wrong dialect, bad body), failed (key, injected error), or
    /// answered whole or streamed in the dialect of the endpoint.
    private func startAnswer(_ route: SimulatorRoute, _ head: HTTPRequestHead, _ body: ByteBuffer) {
        guard let dialect = route.dialect, let context else {
            finish(.notFound)
            return
        }
        // Another dialect's endpoint does not exist here, as on the real provider.
        guard simulator.state.withLockedValue({ $0.settings.dialect }) == dialect else {
            finish(.notFound)
            return
        }
        let request: DialectRequest
        switch DialectRequest.read(route: route, head: head, body: body) {
        case .success(let read): request = read
        case .failure(let refusal):
            finish(refusal.response(in: dialect))
            return
        }

        let plan = simulator.plan(headers: head.headers)
        let responsesAPI = route == .responses
        if responsesAPI { simulator.state.withLockedValue { $0.stats.responses += 1 } }
        if let key = plan.settings.requiredAPIKey, !DialectRequest.authorized(head, dialect: dialect, key: key) {
            // Counted failed once: a request already failed by injection is not in flight.
            if plan.failWith == nil { simulator.end(.failed) }
            finish(dialect.unauthorized)
            return
        }
        if let status = plan.failWith {
            finish(dialect.injectedFailure(status, retryAfter: plan.settings.retryAfterSeconds))
            return
        }
        inFlight = true
        let settings = plan.settings
        let promptTokens = settings.promptTokens ?? max(1, body.readableBytes / 4)
        let now = context.eventLoop.now
        let created = resources.epochSeconds

        if dialect == .openai, !responsesAPI, request.options.isPlain, settings.streamErrorAfterTokens == nil,
            settings.cachedPromptTokens == 0
        {
            startPlainChat(request, plan: plan, promptTokens: promptTokens, now: now, created: created)
            return
        }
        let id =
            switch dialect {
            case .openai: responsesAPI ? "resp_sim\(plan.sequence)" : plan.id
            case .anthropic: "msg_sim\(plan.sequence)"
            case .gemini: "sim\(plan.sequence)"
            }
        let shape = AnswerShape(
            plan: plan, model: request.model, created: created, promptTokens: promptTokens, options: request.options,
            includeUsage: request.includeUsage, id: id)

        guard request.stream else {
            if settings.hang {
                response = .hanging
                return
            }
            let text =
                switch dialect {
                case .openai: responsesAPI ? ResponsesAnswer.body(shape) : OpenAIAnswer.body(shape)
                case .anthropic: AnthropicAnswer.body(shape)
                case .gemini: GeminiAnswer.body(shape)
                }
            respondWhole(SimpleResponse(status: 200, body: text), plan: plan, tokens: shape.outputTokens, now: now)
            return
        }

        let frames =
            switch dialect {
            case .openai:
                responsesAPI ? ResponsesAnswer.stream(shape, malformed: plan.malformed) : OpenAIAnswer.stream(shape, malformed: plan.malformed)
            case .anthropic: AnthropicAnswer.stream(shape, malformed: plan.malformed)
            case .gemini: GeminiAnswer.stream(shape, sse: request.sse, malformed: plan.malformed)
            }
        var headBuffer = allocator.buffer(capacity: 256 + frames.opening.count)
        ResponseHead.writeStream(
            contentType: frames.contentType, closes: lifecycle.closesAfterResponse, date: resources.dateHeaderLine,
            into: &headBuffer)
        frames.writeOpening(into: &headBuffer)
        if settings.hang {
            write(headBuffer, flush: true)
            response = .hanging
            return
        }
        write(headBuffer, flush: false)
        response = .streaming(
            ActiveStream(
                schedule: StreamSchedule(
                    start: now, ttft: plan.ttft, gap: plan.gap, tokens: frames.units.count,
                    cutAfterTokens: settings.cutAfterTokens, failAfterTokens: settings.streamErrorAfterTokens),
                frames: .scripted(frames)))
        // Whatever is due already (a zero TTFT) goes out with the head.
        advanceStream(now: now)
    }

    /// An embeddings request: refused (wrong dialect, bad body), failed (key, injected error), or answered whole
    /// after the scripted latency (`ttft_ms` and its distribution). Counted as a request and as an embedding.
    private func startEmbedding(_ route: SimulatorRoute, _ head: HTTPRequestHead, _ body: ByteBuffer) {
        guard let dialect = route.dialect, let context,
            simulator.state.withLockedValue({ $0.settings.dialect }) == dialect
        else {
            finish(.notFound)
            return
        }
        let request: SimulatedEmbeddingRequest?
        var batch = true
        switch route {
        case .embedContent(let model, let isBatch):
            batch = isBatch
            request = EmbeddingRequestReader.gemini(body, model: model, batch: isBatch)
        default:
            request = EmbeddingRequestReader.openAI(body)
        }
        guard let request else {
            finish(dialect.errorResponse(400, "invalid embeddings request"))
            return
        }
        let plan = simulator.plan(headers: head.headers, embedding: true)
        if let key = plan.settings.requiredAPIKey, !DialectRequest.authorized(head, dialect: dialect, key: key) {
            if plan.failWith == nil { simulator.end(.failed) }
            finish(dialect.unauthorized)
            return
        }
        if let status = plan.failWith {
            finish(dialect.injectedFailure(status, retryAfter: plan.settings.retryAfterSeconds))
            return
        }
        inFlight = true
        if plan.settings.hang {
            response = .hanging
            return
        }
        let text = dialect == .gemini ? EmbeddingAnswer.gemini(request, batch: batch) : EmbeddingAnswer.openAI(request)
        respondWhole(SimpleResponse(status: 200, body: text), plan: plan, tokens: 1, now: context.eventLoop.now)
    }

    /// A non-streamed answer, sent once its last token would have been generated.
    private func respondWhole(_ answer: SimpleResponse, plan: ChatPlan, tokens: Int, now: NIODeadline) {
        let due = now + plan.ttft + plan.gap * Int64(max(tokens - 1, 0))
        if due <= now {
            complete(answer)
        } else {
            response = .delayed(answer)
            resources.clock.schedule(self, at: due)
        }
    }

    /// A plain OpenAI request: the pre-rendered fast path, byte for byte what the simulator always sent.
    private func startPlainChat(
        _ request: DialectRequest, plan: ChatPlan, promptTokens: Int, now: NIODeadline, created: Int
    ) {
        let settings = plan.settings
        guard request.stream else {
            if settings.hang {
                response = .hanging
                return
            }
            let tokens = settings.answerTokens
            var body = allocator.buffer(capacity: 320 + request.model.utf8.count)
            ChatCompletionBody.write(
                id: plan.id, model: request.model, created: created, answerTokens: tokens, promptTokens: promptTokens,
                into: &body)
            respondWhole(SimpleResponse(status: 200, body: body), plan: plan, tokens: tokens, now: now)
            return
        }

        let frames = ChatStreamFrames(
            id: plan.id, model: request.model, created: created, includeUsage: request.includeUsage,
            promptTokens: promptTokens, answerTokens: settings.answerTokens, malformed: plan.malformed)
        var head = allocator.buffer(capacity: 256 + frames.roleFrameSize)
        ResponseHead.writeEventStream(closes: lifecycle.closesAfterResponse, date: resources.dateHeaderLine, into: &head)
        if settings.roleChunk { frames.writeRole(into: &head) }
        if settings.hang {
            write(head, flush: true)
            response = .hanging
            return
        }
        write(head, flush: false)
        response = .streaming(
            ActiveStream(
                schedule: StreamSchedule(
                    start: now, ttft: plan.ttft, gap: plan.gap, tokens: settings.answerTokens,
                    cutAfterTokens: settings.cutAfterTokens),
                frames: .chat(frames)))
        // Whatever is due already (a zero TTFT) goes out with the head.
        advanceStream(now: now)
    }

    func frameClockFired(now: NIODeadline) {
        switch response {
        case .streaming: advanceStream(now: now)
        case .delayed(let answer): complete(answer)
        case .hanging, .none: break
        }
    }

    /// Sends every frame due by `now`, in one buffer and one flush, then waits, finishes, fails or cuts.
    private func advanceStream(now: NIODeadline) {
        guard case .streaming(let stream) = response, let context else { return }
        let step = stream.schedule.advance(to: now)
        var buffer: ByteBuffer
        switch stream.frames {
        case .chat(let frames):
            let finishing = step.then == .finish
            buffer = allocator.buffer(capacity: frames.size(tokens: step.tokens, finish: finishing))
            frames.write(tokens: step.tokens, finish: finishing, into: &buffer)
        case .scripted(let frames):
            let ending: ScriptedFrames.Ending =
                switch step.then {
                case .finish: .finish
                case .fail: .fail
                case .wait, .cut: .none
                }
            buffer = allocator.buffer(capacity: 256)
            frames.write(units: step.tokens, ending: ending, into: &buffer)
        }
        switch step.then {
        case .wait(let deadline):
            if buffer.readableBytes > 0 { context.write(wrapOutboundOut(buffer), promise: nil) }
            context.flush()
            resources.clock.schedule(self, at: deadline)
        case .finish:
            inFlight = false
            simulator.end(.completed)
            write(buffer, flush: true)
            responseCompleted()
        case .fail:
            // The error frame after HTTP 200, then the body ends: counted failed.
            inFlight = false
            simulator.end(.failed)
            write(buffer, flush: true)
            responseCompleted()
        case .cut:
            inFlight = false
            simulator.end(.cut)
            response = .none
            lifecycle.closed()
            // The tokens before the cut go out, then the connection drops without the chunked body's end.
            sendAndClose(buffer)
        }
    }

    /// Counts a non-streamed answer completed and sends it.
    private func complete(_ answer: SimpleResponse) {
        inFlight = false
        simulator.end(.completed)
        finish(answer)
    }

    // MARK: Responses

    /// Sends a whole response and moves on to the next request (or closes).
    private func finish(_ simple: SimpleResponse) {
        guard context != nil else { return }
        var buffer = allocator.buffer(capacity: 192 + simple.body.readableBytes)
        simple.write(closes: lifecycle.closesAfterResponse, date: resources.dateHeaderLine, into: &buffer)
        write(buffer, flush: true)
        responseCompleted()
    }

    private func responseCompleted() {
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

    private func write(_ buffer: ByteBuffer, flush: Bool) {
        guard let context else { return }
        context.write(wrapOutboundOut(buffer), promise: nil)
        if flush { context.flush() }
    }

    /// Sends a whole response that says `connection: close`, then closes.
    private func sendAndClose(_ simple: SimpleResponse) {
        guard context != nil else { return }
        var buffer = allocator.buffer(capacity: 192 + simple.body.readableBytes)
        simple.write(closes: true, date: resources.dateHeaderLine, into: &buffer)
        sendAndClose(buffer)
    }

    /// Writes `buffer` and closes once it is written (closing at once would drop what is still queued).
    private func sendAndClose(_ buffer: ByteBuffer) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
