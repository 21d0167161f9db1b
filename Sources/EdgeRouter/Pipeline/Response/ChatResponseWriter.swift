import EdgeJSON
import EdgeWire
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import RoutingCore

/// Writes one chat response in the client's dialect to its connection: the SSE stream frame by frame as the
/// provider sends it, or one assembled answer; an error in the dialect's error shape, or as the dialect's
/// in-stream error once the stream's head is out.
///
/// When the provider that won speaks the client's dialect, its frames go out byte for byte (an OpenAI client that
/// did not ask for the usage chunk does not get it); otherwise the frames' events are written anew by the client
/// dialect's ``ClientStreamEncoder``. A non-streaming answer is assembled by the client dialect's assembler either
/// way (``AnswerAssembly``).
///
/// Every event of a server-sent-events stream carries an `id:`, numbered from 1 per stream, in every dialect. For
/// a resumable answer (``keep(in:)``) each event, or the whole answer, also goes to its ``StreamBuffer``, and the
/// answer goes on after the client left (``detach()``).
///
/// Frames of one upstream buffer are collected and written with one flush (``flush()``). Everything runs on the
/// connection's event loop.
final class ChatResponseWriter {
    private weak var connection: ChatCompletionsHandler?
    private var requestID: String
    /// The client asked for the connection to close after this response.
    private let closing: Bool
    private let maxResponseBytes: Int
    private var endpoint = ChatEndpoint.openAI
    private var stream = false
    private var includeUsage = false
    /// The model the client named, for translated answers.
    private var model = ""
    /// The winner speaks the client's dialect: its frames go out as they came.
    private var passThrough = true
    /// Gemini's array framing has written its first element.
    private var arrayStarted = false
    /// Writes events in the client's dialect, for a winner of another dialect (streaming).
    private var encoder: (any ClientStreamEncoder)?
    /// Builds the whole answer (not streaming).
    private var assembly = AnswerAssembly.openAI(OpenAICompletionAssembler())
    /// Frames waiting for the next flush (streaming), after room for their chunk's size line (``ChunkFraming``),
    /// made when the stream starts (a whole answer never needs it).
    private var pending = ByteBuffer()
    /// What an encoder wrote for one frame, before it is cut into events.
    private var scratch = ByteBuffer()
    /// The next event's `id:`.
    private var nextEventID = 1
    /// Where a resumable answer is kept.
    private var buffer: StreamBuffer?
    /// A Responses API request's own fields, for the response objects.
    private var responsesRequest: ResponsesRequest?
    /// A Responses API stream passed through from a native provider: the answer assembled from its events, for the
    /// store (the client gets the provider's own events).
    private var passedResponse: ResponsesAssembler?
    /// The provider's response id in a passed-through Responses stream, and what replaces it and its other fields.
    private var responsesRewrites: [(from: [UInt8], to: [UInt8])] = []

    init(connection: ChatCompletionsHandler, requestID: String, closing: Bool, maxResponseBytes: Int) {
        self.connection = connection
        self.requestID = requestID
        self.closing = closing
        self.maxResponseBytes = maxResponseBytes
    }

    /// The client's own request id (a resumable answer's), in place of the router's.
    func use(requestID: String) {
        self.requestID = requestID
    }

    /// The client's dialect, for errors written before the request was read.
    func use(_ endpoint: ChatEndpoint) {
        self.endpoint = endpoint
    }

    /// Whether the client reads more slowly than the answer comes (never, once it left a resumable answer).
    var isBackedUp: Bool { !(connection?.isWritable ?? true) }

    /// Keeps the answer in `buffer` as it is written, for the client to fetch again.
    func keep(in buffer: StreamBuffer) {
        self.buffer = buffer
    }

    /// The client left a resumable answer: writing goes on into the buffer only.
    func detach() {
        connection = nil
    }

    /// Whether events are numbered server-sent events (all streams but Gemini's JSON array).
    private var numbered: Bool {
        if case .gemini(_, _, false) = endpoint { return false }
        return stream
    }

    /// Whether the `id:` lines are written. Not to Gemini clients: Google's `google-genai` SDK reads every line
    /// that is not `data: ` as JSON and fails on an `id:` line. Their events are numbered all the same (the Nth
    /// `data:` event is id N), so `?after=N` resumes them.
    private var writesIDs: Bool {
        if case .gemini = endpoint { return false }
        return stream
    }

    /// `100 Continue`, for a client that waits for it before sending its body.
    func writeContinue() {
        connection?.write(.head(HTTPResponse(status: .continue)), flush: true)
    }

    /// What the client asked for: a stream (with the usage chunk if `include_usage`), or one answer.
    func prepare(for request: InboundChat) {
        endpoint = request.endpoint
        stream = request.stream
        includeUsage = request.includeUsage
        model = request.model
        assembly = AnswerAssembly(for: endpoint)
        responsesRequest = request.responses
    }

    /// The response object's identity: its id is the request id's (final by the time the answer starts).
    private var responsesIdentity: ResponsesIdentity {
        ResponsesIdentity(
            responseID: ResponseRoutes.idPrefix + requestID, itemBase: requestID, model: model,
            createdAt: Int(Date().timeIntervalSince1970), previousResponseID: responsesRequest?.previousResponseID,
            store: responsesRequest?.store ?? true, echo: responsesRequest?.echo ?? ResponsesEcho())
    }

    /// The first token came from a provider speaking `providerDialect`: a stream's head goes out now (an
    /// answer's waits for its length).
    func start(providerDialect: Dialect, headers: @autoclosure () -> HTTPFields) {
        passThrough = endpoint.passesThrough(from: providerDialect)
        if endpoint == .responses, !stream { assembly = .responses(ResponsesAssembler(identity: responsesIdentity)) }
        guard stream else { return }
        if endpoint == .responses, passThrough {
            let identity = responsesIdentity
            passedResponse = ResponsesAssembler(identity: identity)
            responsesRewrites = []
            if responsesRequest?.store ?? true { responsesRewrites.append((Array(#""store":false"#.utf8), Array(#""store":true"#.utf8))) }
            if let previous = responsesRequest?.previousResponseID {
                var to = Array(#""previous_response_id":"#.utf8)
                to += Array(JSONText.quoted(previous).utf8)
                responsesRewrites.append((Array(#""previous_response_id":null"#.utf8), to))
            }
        } else if endpoint == .responses {
            encoder = ResponsesStreamEncoder(identity: responsesIdentity)
        } else if !passThrough {
            encoder = Self.encoder(for: endpoint, requestID: requestID, model: model, includeUsage: includeUsage)
        }
        ChunkFraming.reserve(in: &pending)
        var headers = headers()
        if case .gemini(_, _, false) = endpoint {
            headers[.contentType] = "application/json"
        } else {
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
        }
        let head = HTTPResponse(status: .ok, headerFields: headers)
        buffer?.start(head: head)
        connection?.write(.head(head))
    }

    /// One frame of the winner's stream. Returns false when an answer grew past `max_response_bytes` (the caller
    /// then refuses it); the frames assembled so far are dropped.
    func append(_ frame: UpstreamFrame) -> Bool {
        if stream {
            if var encoder {
                self.encoder = nil  // lets go of it, so its state is not copied on write
                for event in frame.events { encoder.encode(event, into: &scratch) }
                self.encoder = encoder
                // Gemini's array framing: the encoder's first bytes open the array.
                if scratch.readableBytes > 0 { arrayStarted = true }
                emitEncoded()
            } else {
                writeAsSent(frame)
            }
            return true
        }
        assembly.consume(frame, passThrough: passThrough)
        guard assembly.assembledBytes > maxResponseBytes else { return true }
        assembly = AnswerAssembly(for: endpoint)
        return false
    }

    /// Whether the client asked for a stream (known once ``prepare(for:)`` has run).
    var isStreaming: Bool { stream }

    /// An answer assembled already (a cache hit's, ``CachedAnswer/assembly``), in place of its frames one by one
    /// through ``append(_:)``; not streaming. Returns false, as `append` would, when it is larger than
    /// `max_response_bytes`.
    func append(assembled: AnswerAssembly) -> Bool {
        guard assembled.assembledBytes <= maxResponseBytes else { return false }
        assembly = assembled
        return true
    }

    /// A frame of a provider of the client's dialect, as it sent it: one event.
    private func writeAsSent(_ frame: UpstreamFrame) {
        switch endpoint {
        case .openAI:
            guard !frame.isUsageOnly || includeUsage else { return }
            emit { pending in
                pending.writeStaticString("data: ")
                pending.writeBytes(frame.payload)
                pending.writeStaticString("\n\n")
            }
        case .anthropic:
            emit { pending in
                if let type = frame.eventType {
                    pending.writeStaticString("event: ")
                    pending.writeString(type)
                    pending.writeStaticString("\n")
                }
                pending.writeStaticString("data: ")
                pending.writeBytes(frame.payload)
                pending.writeStaticString("\n\n")
            }
        case .gemini(_, _, let sse):
            let opening = arrayStarted
            arrayStarted = true
            emit { pending in
                if sse {
                    pending.writeStaticString("data: ")
                    pending.writeBytes(frame.payload)
                    pending.writeStaticString("\r\n\r\n")
                } else {
                    pending.writeStaticString(opening ? ",\r\n" : "[")
                    pending.writeBytes(frame.payload)
                }
            }
        case .responses:
            passOnResponsesEvent(frame)
        }
    }

    /// An event of a provider that speaks the Responses API natively, as it sent it but for the router's sequence
    /// number (its SSE id), the router's response id in place of the provider's, and the client's `store` and
    /// `previous_response_id` (``ResponsesPassThrough/rewrite(_:sequenceNumber:replacing:)``); its events also go
    /// to the answer kept for the store.
    private func passOnResponsesEvent(_ frame: UpstreamFrame) {
        for event in frame.events {
            if case .start(let id, _, _) = event, !id.isEmpty {
                var from = Array(JSONText.quoted(id).utf8)
                if from.count < 3 { from = [] }
                responsesRewrites.append((from, Array(JSONText.quoted(ResponseRoutes.idPrefix + requestID).utf8)))
            }
            passedResponse?.consume(event)
        }
        let payload = ResponsesPassThrough.rewrite(frame.payload, sequenceNumber: nextEventID, replacing: responsesRewrites)
        emit { pending in
            if let type = frame.eventType, !type.isEmpty, !type.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                pending.writeStaticString("event: ")
                pending.writeString(type)
                pending.writeStaticString("\n")
            }
            pending.writeStaticString("data: ")
            pending.writeBytes(payload)
            pending.writeStaticString("\n\n")
        }
    }

    /// Writes one event for the next flush, with its `id:` when events are numbered, and keeps it in the buffer
    /// of a resumable answer.
    private func emit(_ write: (inout ByteBuffer) -> Void) {
        let start = pending.writerIndex
        if writesIDs {
            pending.writeStaticString("id: ")
            _ = pending.writeJSONInteger(nextEventID)
            pending.writeStaticString("\n")
        }
        nextEventID += 1
        write(&pending)
        if let buffer, let event = pending.getSlice(at: start, length: pending.writerIndex - start) {
            // A copy of its own: a slice would pin `pending`'s storage, and cost a copy of it at the next write.
            buffer.append(ByteBuffer(buffer: event))
        }
    }

    /// Emits what an encoder wrote into ``scratch``, event by event (each ends with a blank line), then empties it.
    /// Gemini's JSON array has no events: what was written goes as one piece.
    private func emitEncoded() {
        defer { scratch.clear() }
        guard numbered else {
            if scratch.readableBytes > 0 { emit { $0.writeImmutableBuffer(scratch) } }
            return
        }
        var view = scratch.readableBytesView[...]
        while let end = Self.eventEnd(in: view) {
            let event = view[..<end]
            emit { $0.writeBytes(event) }
            view = view[end...]
        }
        if !view.isEmpty { emit { $0.writeBytes(view) } }  // an encoder's output always ends an event; never here
    }

    /// The index just past the blank line that ends the first event in `bytes` (`\n\n` or `\n\r\n`).
    private static func eventEnd(in bytes: ByteBufferView.SubSequence) -> ByteBufferView.Index? {
        var index = bytes.startIndex
        while let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) {
            var next = bytes.index(after: newline)
            if next < bytes.endIndex, bytes[next] == UInt8(ascii: "\r") { next = bytes.index(after: next) }
            if next < bytes.endIndex, bytes[next] == UInt8(ascii: "\n") { return bytes.index(after: next) }
            index = bytes.index(after: newline)
        }
        return nil
    }

    /// Writes out the frames of one upstream buffer.
    func flush() {
        guard pending.readableBytes > 0 else { return }
        connection?.writeBody(&pending, flush: true)
        ChunkFraming.reserve(in: &pending)
    }

    /// The answer is complete: the stream's end in the client's dialect, or the assembled answer with its head.
    /// `finished` is given a Responses API answer before its end is written anywhere (the client's connection, a
    /// resume reader of its buffer), so that whoever reads that end finds the answer stored.
    func complete(headers: HTTPFields, fallbackModel: String, finished: (ResponsesAssembler) -> Void = { _ in }) {
        guard !stream else {
            if var encoder {
                self.encoder = nil
                encoder.finish(into: &scratch)
                if let assembler = (encoder as? ResponsesStreamEncoder)?.assembler { finished(assembler) }
                emitEncoded()
            } else {
                if let passedResponse { finished(passedResponse) }
                writeStreamEnd()
            }
            endStream()
            return
        }
        var headers = headers
        if case .responses(let assembler) = assembly { finished(assembler) }
        let body = assembly.answerJSON(fallbackModel: passThrough ? fallbackModel : model, fallbackID: fallbackID)
        // Appended: the answer's headers are the router's own, which never name the content.
        headers.append(HTTPField(name: .contentType, value: "application/json"))
        headers.append(HTTPField(name: .contentLength, value: String(body.readableBytes)))
        let head = HTTPResponse(status: .ok, headerFields: headers)
        buffer?.complete(head: head, body: body)
        connection?.write(.head(head))
        connection?.write(.body(body))
        connection?.endResponse(closing: closing)
    }

    /// The end of a passed-on stream: what the provider's end marker was (the decoders consume it).
    private func writeStreamEnd() {
        switch endpoint {
        case .openAI: emit { $0.writeStaticString("data: [DONE]\n\n") }
        case .anthropic: emit { $0.writeStaticString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n") }
        case .gemini(_, _, let sse):
            let opened = arrayStarted
            if !sse { emit { $0.writeStaticString(opened ? "]" : "[]") } }
        case .responses:
            break
        }
    }

    private var fallbackID: String {
        switch endpoint {
        case .openAI: "chatcmpl-\(requestID)"
        case .anthropic: "msg_\(requestID)"
        case .gemini: requestID
        case .responses: ResponseRoutes.idPrefix + requestID
        }
    }

    /// The stream broke off after the first token: an error in the dialect's in-stream shape ends a stream; an
    /// answer not yet written is answered with the error instead.
    func fail(_ error: EdgeRouterError) {
        guard stream else {
            answer(error)
            return
        }
        if endpoint == .responses, passedResponse != nil {
            // A passed-through Responses stream: the API's own `error` event, numbered as the router numbers.
            let message = "\(error.message) (request id \(requestID))"
            let sequence = nextEventID
            emit { pending in
                pending.writeStaticString("event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":")
                pending.writeJSONString(message)
                pending.writeStaticString(",\"param\":null,\"sequence_number\":")
                _ = pending.writeJSONInteger(sequence)
                pending.writeStaticString("}\n\n")
            }
        } else if endpoint == .responses, var encoder = encoder as? ResponsesStreamEncoder {
            // The Responses API ends a stream that broke off with `response.failed`, as OpenAI does.
            self.encoder = nil
            encoder.fail(message: "\(error.message) (request id \(requestID))", code: "server_error", into: &scratch)
            emitEncoded()
        } else if case .gemini(_, _, false) = endpoint {
            let opened = arrayStarted
            arrayStarted = true
            emit { pending in
                pending.writeStaticString(opened ? ",\r\n" : "[")
                pending.writeImmutableBuffer(ErrorResponse.body(error, requestID: requestID, dialect: .gemini))
                pending.writeStaticString("]")
            }
        } else {
            emit { $0.writeImmutableBuffer(ErrorResponse.sseFrame(error, requestID: requestID, dialect: endpoint.dialect)) }
        }
        endStream()
    }

    /// Answers with an error, before anything of a response was written.
    func answer(_ error: EdgeRouterError) {
        let (head, body) = ErrorResponse.parts(error, requestID: requestID, dialect: endpoint.dialect)
        buffer?.complete(head: head, body: body)
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
        if pending.readableBytes > 0 { connection?.writeBody(&pending, flush: false) }
        pending = ByteBuffer()
        connection?.endResponse(closing: closing)
    }

    private static func encoder(
        for endpoint: ChatEndpoint, requestID: String, model: String, includeUsage: Bool
    ) -> any ClientStreamEncoder {
        switch endpoint {
        case .openAI:
            OpenAIChunkEncoder(fallbackID: "chatcmpl-\(requestID)", model: model, includeUsage: includeUsage)
        case .anthropic:
            AnthropicStreamEncoder(fallbackID: requestID, model: model)
        case .gemini(_, _, let sse):
            GeminiStreamEncoder(framing: sse ? .sse : .jsonArray, responseID: requestID, modelVersion: model)
        case .responses:
            ResponsesStreamEncoder(identity: ResponsesIdentity(responseID: "resp_\(requestID)", itemBase: requestID, model: model, createdAt: 0))
        }
    }
}
