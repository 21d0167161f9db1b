import NIOCore
import NIOHTTP1

/// The simulator's answers: a chat answer planned and started (streamed on the frame clock, or whole), an
/// embedding, and a stream advanced each time the clock fires.
extension SimulatorConnection {
    /// A request on a provider endpoint: refused (wrong dialect, bad body), failed (key, injected error), or
    /// answered whole or streamed in the dialect of the endpoint.
    func startAnswer(_ route: SimulatorRoute, _ head: HTTPRequestHead, _ body: ByteBuffer) {
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
        guard admit(head, plan: plan, dialect: dialect) else { return }
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
    func startEmbedding(_ route: SimulatorRoute, _ head: HTTPRequestHead, _ body: ByteBuffer) {
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
        guard admit(head, plan: plan, dialect: dialect) else { return }
        if plan.settings.hang {
            response = .hanging
            return
        }
        let text = dialect == .gemini ? EmbeddingAnswer.gemini(request, batch: batch) : EmbeddingAnswer.openAI(request)
        respondWhole(SimpleResponse(status: 200, body: text), plan: plan, tokens: 1, now: context.eventLoop.now)
    }

    /// A non-streamed answer, sent once its last token would have been generated.
    /// The checks a chat or embeddings request passes before it is answered: the key the simulator requires, then
    /// an injected failure. A refused request is answered here (false); an admitted one is in flight (true).
    private func admit(_ head: HTTPRequestHead, plan: ChatPlan, dialect: SimulatorDialect) -> Bool {
        if let key = plan.settings.requiredAPIKey, !DialectRequest.authorized(head, dialect: dialect, key: key) {
            // Counted failed once: a request already failed by injection is not in flight.
            if plan.failWith == nil { simulator.end(.failed) }
            finish(dialect.unauthorized)
            return false
        }
        if let status = plan.failWith {
            finish(dialect.injectedFailure(status, retryAfter: plan.settings.retryAfterSeconds))
            return false
        }
        inFlight = true
        return true
    }

    func respondWhole(_ answer: SimpleResponse, plan: ChatPlan, tokens: Int, now: NIODeadline) {
        let due = now + plan.ttft + plan.gap * Int64(max(tokens - 1, 0))
        if due <= now {
            complete(answer)
        } else {
            response = .delayed(answer)
            resources.clock.schedule(self, at: due)
        }
    }

    /// A plain OpenAI request: the pre-rendered fast path, byte for byte what the simulator always sent.
    func startPlainChat(
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
    func advanceStream(now: NIODeadline) {
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
    func complete(_ answer: SimpleResponse) {
        inFlight = false
        simulator.end(.completed)
        finish(answer)
    }
}
