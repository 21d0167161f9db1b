import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// async-http-client's callbacks, on the call's event loop: the response head, the SSE stream parsed as it
/// arrives, and the end.
extension UpstreamCall {
    /// How much of a non-2xx body is kept to find the provider's message.
    static let rejectionBodyLimit = 64 * 1024

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        timeToFirstByte = ContinuousClock.now - started
        let status = Int(head.status.code)
        if !(200..<300).contains(status) {
            let retryAfter = head.headers.first(name: "retry-after").flatMap(Double.init).map {
                Duration.milliseconds(Int64($0 * 1000))
            }
            rejection = (status, retryAfter, ByteBuffer())
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        if rejection != nil {
            var part = buffer
            let room = Self.rejectionBodyLimit - rejection!.body.readableBytes
            if room > 0, let slice = part.readSlice(length: min(room, part.readableBytes)) {
                rejection!.body.writeImmutableBuffer(slice)
            }
            return task.eventLoop.makeSucceededVoidFuture()
        }
        guard !isClosed else { return task.eventLoop.makeSucceededVoidFuture() }
        do {
            try buffer.withUnsafeReadableBytes { bytes in
                try parser.parse(bytes) { event in handle(event) }
            }
        } catch {
            fail(AttemptFailure(.malformed, deployment: deployment.label, detail: "a stream line exceeded the size limit"), cancelRequest: true)
        }
        return backpressure()
    }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: any Error) {
        // A cancelled call (by us) or one whose stream already ended has nobody to tell.
        guard !isClosed else { return }
        if let rejection {
            fail(rejected(rejection))
            return
        }
        let failure: AttemptFailure
        if let error = error as? HTTPClientError, error == .readTimeout {
            let idle = Int(deployment.provider.timeouts.idle.milliseconds)
            failure = AttemptFailure(.connection, deployment: deployment.label, detail: "no data for \(idle) ms")
        } else if timeToFirstByte == nil {
            failure = AttemptFailure(.connection, deployment: deployment.label, detail: UpstreamErrorText.describe(error))
        } else {
            failure = AttemptFailure(.connection, deployment: deployment.label, detail: "the connection broke: \(UpstreamErrorText.describe(error))")
        }
        fail(failure)
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {
        if let rejection {
            fail(rejected(rejection))
            return
        }
        guard !isClosed else { return }
        if let last = parser.finish() { handle(last) }
        guard !isClosed else { return }
        fail(
            reported
                ? AttemptFailure(.connection, deployment: deployment.label, detail: "the stream closed before it was complete")
                : AttemptFailure(.closedBeforeToken, deployment: deployment.label, detail: "the stream closed before the first token"))
    }

    /// One SSE event: a frame for the reader (reporting the first content token), the end, or a failure.
    /// The callers check once per buffer that the stream is still open; within a buffer, `push` and `report` already
    /// ignore whatever follows a terminal step.
    private func handle(_ event: SSEEvent) {
        let decoded: OpenAIStreamDecoder.Decoded
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
                let detail = reported ? "the provider reported: \(message)" : "stream error before the first token: \(message)"
                fail(AttemptFailure(.streamError, deployment: deployment.label, detail: detail), cancelRequest: true)
                return
            }
            push(.frame(frame))
            if frame.hasContent { report(.arrived(timing())) }
        }
    }

    private func timing() -> FirstTokenTiming {
        let elapsed = ContinuousClock.now - started
        return FirstTokenTiming(timeToFirstByte: timeToFirstByte ?? elapsed, timeToFirstToken: elapsed)
    }

    /// The failure for a non-2xx answer, with the provider's message (never anything of ours).
    private func rejected(_ rejection: (status: Int, retryAfter: Duration?, body: ByteBuffer)) -> AttemptFailure {
        var detail = "HTTP \(rejection.status)"
        if let message = UpstreamErrorText.message(in: rejection.body), !message.isEmpty { detail += ": \(message)" }
        return AttemptFailure(
            AttemptFailure.cause(forStatus: rejection.status), deployment: deployment.label, status: rejection.status,
            detail: detail, retryAfter: rejection.retryAfter)
    }
}
