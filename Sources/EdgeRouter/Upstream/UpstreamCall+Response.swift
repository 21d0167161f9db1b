import EdgeWire
import NIOCore
import NIOHTTP1
import RoutingCore

/// The connection's callbacks, on the call's event loop: the response head, the SSE stream parsed as it arrives,
/// and the end.
extension UpstreamCall {
    /// How much of a non-2xx body is kept to find the provider's message.
    static let rejectionBodyLimit = 64 * 1024
    /// The largest whole JSON answer taken from a Cog predictor that does not stream.
    static let wholeAnswerLimit = 16 << 20

    func upstreamResponse(head: HTTPResponseHead) {
        timeToFirstByte = ContinuousClock.now - started
        forgetRequest()
        noteRead()
        let status = Int(head.status.code)
        if (200..<300).contains(status), deployment.provider.dialect == .cog, !deployment.provider.streams {
            // A predictor without `@cog.streaming` answers the whole prediction as JSON, once it is done.
            wholeAnswer = ByteBuffer()
        } else if (200..<300).contains(status), let type = head.headers.first(name: "content-type"), !Self.isEventStream(type) {
            // A 200 that is not a stream (a JSON completion, an HTML error page of a proxy) is not this dialect:
            // fail it over now rather than read a body that will never hold a token.
            fail(
                AttemptFailure(
                    .malformed, deployment: deployment.label, status: status,
                    detail: "the provider answered with a non-stream content type (\(errorText.sanitize(type.prefix(60))))"),
                cancelRequest: true)
        } else if !(200..<300).contains(status) {
            // Outside input: parsed without trusting it (a `1e20` or `inf` once trapped here and took the node down).
            let retryAfter = head.headers.first(name: "retry-after").flatMap { RetryAfter.parse($0) }
            rejection = (status, retryAfter, ByteBuffer())
        }
    }

    func upstreamResponse(body buffer: ByteBuffer) -> Bool {
        noteRead()
        if var held = rejection {
            rejection = nil  // not two copies of the body while it grows
            var part = buffer
            let room = Self.rejectionBodyLimit - held.body.readableBytes
            if room > 0, let slice = part.readSlice(length: min(room, part.readableBytes)) {
                held.body.writeImmutableBuffer(slice)
            }
            rejection = held
            // The start of the body holds the message; the rest is not worth reading (nor waiting for).
            if held.body.readableBytes >= Self.rejectionBodyLimit, !isClosed { fail(rejected(held), cancelRequest: true) }
            return true
        }
        guard !isClosed else { return true }
        if var whole = wholeAnswer {
            wholeAnswer = nil  // not two copies of the body while it grows
            guard whole.readableBytes + buffer.readableBytes <= Self.wholeAnswerLimit else {
                fail(
                    AttemptFailure(.malformed, deployment: deployment.label, detail: "the prediction's answer exceeded the size limit"),
                    cancelRequest: true)
                return true
            }
            whole.writeImmutableBuffer(buffer)
            wholeAnswer = whole
            return true
        }
        do {
            try buffer.withUnsafeReadableBytes { bytes in
                try parser.parse(bytes) { event in handle(event) }
            }
        } catch {
            fail(
                AttemptFailure(.malformed, deployment: deployment.label, detail: "a stream line or event exceeded the size limit"),
                cancelRequest: true)
        }
        return mayReadOn()
    }

    func upstreamResponseReadBurstEnded() {
        finishBurst()
    }

    func upstreamResponse(failed error: UpstreamConnectionError) {
        // A cancelled call (by us) or one whose stream already ended has nobody to tell.
        guard !isClosed else { return }
        if error.retryable, retryOnFreshConnection() { return }
        forgetRequest()
        if let rejection {
            fail(rejected(rejection))
            return
        }
        // The client hears the kind of failure; the logs and /admin/routes get the error itself (host, port).
        let kind = UpstreamErrorText.describe(error)
        fail(
            AttemptFailure(
                .connection, deployment: deployment.label, detail: timeToFirstByte == nil ? kind : "the connection broke: \(kind)",
                logDetail: errorText.logDetail(error)))
    }

    func upstreamResponseEnded() {
        if let rejection {
            fail(rejected(rejection))
            return
        }
        guard !isClosed else { return }
        if let whole = wholeAnswer {
            finishWholeAnswer(whole)
            return
        }
        if let last = parser.finish() { handle(last) }
        guard !isClosed else { return }
        if decoder.isAnswerFinished {
            // Providers that close the connection after the `finish_reason` chunk, with no `[DONE]`, have still
            // given a complete answer (and Gemini's streams always end so).
            push(.done)
            report(.arrived(timing()))
            return
        }
        fail(
            reported
                ? AttemptFailure(.connection, deployment: deployment.label, detail: "the stream closed before it was complete")
                : AttemptFailure(.closedBeforeToken, deployment: deployment.label, detail: "the stream closed before the first token"))
    }

    /// One SSE event: a frame for the reader (reporting the first content token), the end, or a failure.
    /// The callers check once per buffer that the stream is still open; within a buffer, `push` and `report` already
    /// ignore whatever follows a terminal step.
    private func handle(_ event: SSEEvent) {
        let decoded: StreamDecoded
        do {
            decoded = try decoder.decode(event)
        } catch {
            fail(AttemptFailure(.malformed, deployment: deployment.label, detail: error.detail), cancelRequest: true)
            return
        }
        switch decoded {
        case .skip:
            return
        case .done:
            // A complete stream with no content is an answer (an empty completion), not a failure; the reader
            // finds the `done` after whatever frames came first.
            push(.done)
            report(.arrived(timing()))
        case .frame(let frame):
            if case .error(let message, _)? = frame.events.first {
                let excerpt = errorText.sanitize(message)
                let detail = reported ? "the provider reported: \(excerpt)" : "stream error before the first token: \(excerpt)"
                fail(AttemptFailure(.streamError, deployment: deployment.label, detail: detail), cancelRequest: true)
                return
            }
            push(.frame(frame))
            if !reported, frame.hasContent { report(.arrived(timing())) }
        }
    }

    /// A Cog predictor's whole JSON answer: its events as one frame, then the end. Its first token is the whole
    /// prediction, which is what a client of a predictor that does not stream waits for.
    private func finishWholeAnswer(_ whole: ByteBuffer) {
        wholeAnswer = nil
        let bytes = Array(whole.readableBytesView)
        let events: [StreamEvent]
        do {
            events = try CogAnswerReader.events(bytes)
        } catch {
            fail(AttemptFailure(.malformed, deployment: deployment.label, detail: error.detail))
            return
        }
        if case .error(let message, _)? = events.first {
            fail(
                AttemptFailure(
                    .streamError, deployment: deployment.label, detail: "the prediction failed: \(errorText.sanitize(message))"))
            return
        }
        push(.frame(UpstreamFrame(payload: bytes, events: events)))
        push(.done)
        report(.arrived(timing()))
    }

    private func timing() -> FirstTokenTiming {
        let elapsed = ContinuousClock.now - started
        return FirstTokenTiming(timeToFirstByte: timeToFirstByte ?? elapsed, timeToFirstToken: elapsed)
    }

    /// Whether a `content-type` is `text/event-stream` (parameters and case aside).
    static func isEventStream(_ contentType: String) -> Bool {
        let media = contentType.prefix { $0 != ";" }.trimmingWhitespace()
        return media.lowercased() == "text/event-stream"
    }

    /// The failure for a non-2xx answer, with an excerpt of the provider's message, sanitized: a provider that
    /// echoes our `Authorization` header must not hand our key to the client or the log.
    private func rejected(_ rejection: (status: Int, retryAfter: Duration?, body: ByteBuffer)) -> AttemptFailure {
        var detail = "HTTP \(rejection.status)"
        if let message = UpstreamErrorText.message(in: rejection.body).map({ errorText.sanitize($0) }), !message.isEmpty {
            detail += ": \(message)"
        }
        var cause = AttemptFailure.cause(forStatus: rejection.status)
        if deployment.provider.dialect == .cog {
            switch rejection.status {
            case 409:
                // Cog's "At capacity - all prediction slots busy": busy, not broken.
                cause = .atCapacity
            case 406:
                // The predictor does not stream: the provider needs `streams: false`. Not the client's fault.
                cause = .status
                detail += " (set `streams: false` on the provider for a predictor without @cog.streaming)"
            case 422:
                // The input template does not fit the predictor's arguments: the configuration's fault, not the
                // client's; another deployment may take the request.
                cause = .status
            default:
                break
            }
        }
        return AttemptFailure(
            cause, deployment: deployment.label, status: rejection.status, detail: detail, retryAfter: rejection.retryAfter)
    }
}

extension Substring {
    /// Without spaces and tabs at either end.
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[start...end]
    }
}
