import EdgeWire
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Writes one chat response in OpenAI's dialect to the client's connection: the SSE stream frame by frame as the
/// provider sends it (`data: ...`, then `data: [DONE]`), or one assembled `chat.completion`; an error as OpenAI's
/// error object, or as an SSE error frame once the stream's head is out.
///
/// Frames of one upstream buffer are collected and written with one flush (``flush()``). Everything runs on the
/// connection's event loop.
final class OpenAIResponseWriter {
    private weak var connection: ChatCompletionsHandler?
    private let requestID: String
    /// The client asked for the connection to close after this response.
    private let closing: Bool
    private let maxResponseBytes: Int
    private var stream = false
    private var includeUsage = false
    /// Frames waiting for the next flush (streaming).
    private var pending = ByteBuffer()
    private var assembler = OpenAICompletionAssembler()

    init(connection: ChatCompletionsHandler, requestID: String, closing: Bool, maxResponseBytes: Int) {
        self.connection = connection
        self.requestID = requestID
        self.closing = closing
        self.maxResponseBytes = maxResponseBytes
    }

    /// Whether the client reads more slowly than the answer comes.
    var isBackedUp: Bool { !(connection?.isWritable ?? true) }

    /// `100 Continue`, for a client that waits for it before sending its body.
    func writeContinue() {
        connection?.write(.head(HTTPResponse(status: .continue)), flush: true)
    }

    /// What the client asked for: a stream (with the usage chunk if `include_usage`), or one completion.
    func prepare(for request: OpenAIChatRequest) {
        stream = request.stream
        includeUsage = request.includeUsage
    }

    /// The first token came: a stream's head goes out now (a completion's waits for its length).
    func start(headers: @autoclosure () -> HTTPFields) {
        guard stream else { return }
        var headers = headers()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        connection?.write(.head(HTTPResponse(status: .ok, headerFields: headers)))
    }

    /// One frame of the winner's stream. Returns false when a completion grew past `max_response_bytes` (the
    /// caller then refuses it); the frames assembled so far are dropped.
    func append(_ frame: UpstreamFrame) -> Bool {
        if stream {
            guard !frame.isUsageOnly || includeUsage else { return true }
            pending.writeStaticString("data: ")
            pending.writeBytes(frame.payload)
            pending.writeStaticString("\n\n")
            return true
        }
        for event in frame.events { assembler.consume(event) }
        guard assembler.assembledBytes > maxResponseBytes else { return true }
        assembler = OpenAICompletionAssembler()
        return false
    }

    /// Writes out the frames of one upstream buffer.
    func flush() {
        guard pending.readableBytes > 0 else { return }
        connection?.write(.body(pending), flush: true)
        pending.clear()
    }

    /// The answer is complete: the stream's `[DONE]`, or the assembled completion with its head.
    func complete(headers: HTTPFields, fallbackModel: String) {
        guard !stream else {
            pending.writeStaticString("data: [DONE]\n\n")
            endStream()
            return
        }
        var headers = headers
        headers[.contentType] = "application/json"
        let body = assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: "chatcmpl-\(requestID)")
        headers[.contentLength] = String(body.readableBytes)
        connection?.write(.head(HTTPResponse(status: .ok, headerFields: headers)))
        connection?.write(.body(body))
        connection?.endResponse(closing: closing)
    }

    /// The stream broke off after the first token: an error frame ends a stream; a completion not yet written is
    /// answered with the error instead.
    func fail(_ error: EdgeRouterError) {
        guard stream else {
            answer(error)
            return
        }
        pending.writeImmutableBuffer(ErrorResponse.sseFrame(error, requestID: requestID))
        endStream()
    }

    /// Answers with an error, before anything of a response was written.
    func answer(_ error: EdgeRouterError) {
        let (head, body) = ErrorResponse.parts(error, requestID: requestID)
        connection?.write(.head(head))
        connection?.write(.body(body))
        connection?.endResponse(closing: closing)
    }

    /// Drops the connection with what is queued: for a client that stopped reading.
    func abort() {
        pending = ByteBuffer()
        connection?.abort()
    }

    private func endStream() {
        if pending.readableBytes > 0 { connection?.write(.body(pending)) }
        pending = ByteBuffer()
        connection?.endResponse(closing: closing)
    }
}
