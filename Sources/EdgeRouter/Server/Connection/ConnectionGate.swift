import HTTPTypes
import NIOCore
import NIOHTTP1
import RoutingCore

/// The HTTP/1 rules of a client connection that hold whoever answers its requests, placed right after NIO's HTTP
/// decoder (so ahead of the chat handler and of Hummingbird):
///
/// - read timeouts: a request head must be complete `header_read_ms` after its first byte, a body
///   `body_read_ms` after its head, and an idle connection goes after `idle_ms` (see ``ReadTimeline``); a request
///   cut by a timeout is answered 408 when nothing of its answer was written yet;
/// - refusals at the head, before any body is read: an HTTP/1.1 request without exactly one `Host` (400), a
///   declared body over `max_body_bytes` (413); a body that grows past it is cut with 413 too; malformed or
///   ambiguous framing (conflicting `Content-Length` and `Transfer-Encoding`, two lengths, bad chunk sizes) is 400,
///   a header block over the decoder's limits 431;
/// - an answer that starts before its request's body was read (a refusal: 401, 404, 413) closes the connection
///   after it, so that the body is never read;
/// - HTTP/1.0 clients get HTTP/1.0 answers: no chunked encoding (a stream's body ends when the connection closes),
///   and the connection closes after each answer unless the client asked for keep-alive and the length is known;
/// - every answer carries a `Date` header.
///
/// A connection closed by the gate is closed gracefully: its output is shut once the last answer is written, and
/// whatever the client still sends is read and dropped for a moment, so that the client sees the answer rather than
/// a reset.
///
/// One file of a little over 300 lines on purpose: the inbound half (reads, timeouts, refusals) and the outbound
/// half (answers, HTTP/1.0 framing, closing) work on the same per-request state, and split apart each would have
/// to reach into the other's.
final class ConnectionGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the gate knows of a request whose answer has not ended.
    private struct Request {
        var http10: Bool
        var keepAlive: Bool
        var bodyRead = false
        var answerStarted = false
        var closeAfterAnswer = false
        /// The answer's body is sent in HTTP/1.1 chunks.
        var chunked = false
    }

    /// How long a connection closed by the gate keeps reading (and dropping) what its client still sends.
    static let lingerTime = TimeAmount.seconds(2)

    private let limits: ConnectionLimits
    private let maxBodyBytes: Int
    private let metrics: ConnectionMetrics
    private var timeline: ReadTimeline
    private var requests = CircularBuffer<Request>(initialCapacity: 2)
    /// The dialect of the latest request head, for the shape of a refusal.
    private var dialect = Dialect.openai
    private var bodyBytes = 0
    private var date = HTTPDate()
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// Inbound parts are dropped: the connection is being closed.
    private var closing = false
    /// The gate wrote an answer of its own: answers from behind it are dropped.
    private var refused = false
    /// Close once this many more answers have ended (a refusal that must wait for earlier pipelined answers).
    private var closeAfterAnswers: Int?

    init(limits: ConnectionLimits, maxBodyBytes: Int, metrics: ConnectionMetrics) {
        self.limits = limits
        self.maxBodyBytes = maxBodyBytes
        self.metrics = metrics
        self.timeline = ReadTimeline(limits: limits, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        timeline = ReadTimeline(limits: limits, now: .now())
        armTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    // MARK: Bytes and requests in

    /// Called by ``WireEnd`` for each read, before decoding: the first byte of a request starts its header
    /// timer.
    func bytesArrived() {
        guard timeline.phase == .betweenRequests, !closing else { return }
        timeline.bytesArrived(now: .now())
        armTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            timeline.headReceived(now: .now())
            bodyBytes = 0
            let http10 = head.version.major == 1 && head.version.minor == 0
            dialect = ErrorResponse.dialect(path: head.uri, anthropicVersion: head.headers.contains(name: "anthropic-version"))
            requests.append(
                Request(http10: http10, keepAlive: http10 && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "keep-alive" }))
            if let refusal = refusal(of: head) {
                timeline.headRefused()
                requests.removeLast()
                refuse(refusal, readOn: false, context: context)
                return
            }
            armTimer()
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > maxBodyBytes {
                let error = EdgeRouterError(
                    .payloadTooLarge, "The request body is larger than the configured limit of \(maxBodyBytes) bytes.")
                refuse(error, readOn: true, context: context)
                return
            }
        case .end:
            timeline.requestEnded()
            if !requests.isEmpty { requests[requests.index(before: requests.endIndex)].bodyRead = true }
        }
        context.fireChannelRead(data)
    }

    /// Why a request is refused at its head, if it is.
    private func refusal(of head: HTTPRequestHead) -> EdgeRouterError? {
        // One pass over the fields, without the arrays of values that `headers[name]` makes for every request.
        var hosts = 0
        var declared: Int?
        for (name, value) in head.headers {
            if Self.named(name, "host") {
                hosts += 1
            } else if declared == nil, Self.named(name, "content-length") {
                declared = Int(value)
            }
        }
        if head.version.major == 1, head.version.minor >= 1, hosts != 1 {
            return EdgeRouterError(.invalidRequest, "An HTTP/1.1 request must carry exactly one Host header.", param: "host")
        }
        if let declared, declared > maxBodyBytes {
            return EdgeRouterError(.payloadTooLarge, "The request body is \(declared) bytes; the limit is \(maxBodyBytes).")
        }
        return nil
    }

    /// Whether a field's name is `lowercased` (a lowercase name), in any case.
    private static func named(_ name: String, _ lowercased: StaticString) -> Bool {
        guard name.utf8.count == lowercased.utf8CodeUnitCount else { return false }
        return lowercased.withUTF8Buffer { expected in
            name.utf8.elementsEqual(expected) { byte, lower in
                (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == lower
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Lingering after a refusal, the decoder (stopped by its parse error) reports each later read as an error:
        // those are the bytes the gate means to drop. Passed on, they would close the connection while the client
        // is still sending, and a reset could cost it the answer it was given.
        if closing, error is ByteToMessageDecoderError { return }
        guard let error = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !closing else { return }
        // In a body, the request's head went on already; in a head, it did not.
        let readOn = timeline.phase == .body
        if case .headerOverflow = error {
            let error = EdgeRouterError(.invalidRequest, "The request's header block is too large.", status: 431)
            refuse(error, readOn: readOn, context: context)
        } else {
            let error = EdgeRouterError(.invalidRequest, "The request is not valid HTTP/1.1 (\(error)).")
            refuse(error, readOn: readOn, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if closing, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    // MARK: Answers out

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !refused else {
            // The gate answered the request itself; a late answer from behind it has no place on the wire.
            promise?.fail(ChannelError.outputClosed)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head):
            guard !requests.isEmpty else {
                context.write(data, promise: promise)
                return
            }
            if head.status.code < 200, head.status.code != 101 {
                // HTTP/1.0 knows no interim answers (a `100 Continue` is for HTTP/1.1 clients only).
                guard !requests[requests.startIndex].http10 else {
                    promise?.succeed()
                    return
                }
                context.write(data, promise: promise)
                return
            }
            prepare(&head, for: &requests[requests.startIndex])
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let request = requests.popFirst()
            timeline.answerEnded(now: .now())
            let closeNow = (request?.closeAfterAnswer ?? false) || closeAfterAnswers == 1
            closeAfterAnswers = closeAfterAnswers.map { $0 - 1 }
            guard closeNow else {
                context.write(data, promise: promise)
                armTimer()
                return
            }
            // Only an answer that ends the connection needs to know when it has been written.
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.write(data, promise: written)
            closeGracefully(after: written.futureResult, context: context)
        }
    }

    /// Fixes an answer's head for its request: the `Date`, HTTP/1.0 framing, and `connection: close` when the
    /// connection ends after it.
    private func prepare(_ head: inout HTTPResponseHead, for request: inout Request) {
        request.answerStarted = true
        if !head.headers.contains(name: "date") { head.headers.add(name: "date", value: date.now()) }
        var close = !request.bodyRead || head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
        if request.http10 {
            head.version = .http1_0
            head.headers.remove(name: "transfer-encoding")
            if !head.headers.contains(name: "content-length") { close = true }
            if !close, request.keepAlive {
                head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            } else {
                close = true
            }
        }
        if close { head.headers.replaceOrAdd(name: "connection", value: "close") }
        request.closeAfterAnswer = close
        // NIO's encoder frames such a body in chunks; said here, so that the chat handler may frame its own.
        request.chunked = !request.http10 && head.status.mayHaveResponseBody && !head.headers.contains(name: "content-length")
    }

    /// Whether the answer whose head was written last is sent in HTTP/1.1 chunks, and its body may go to the wire
    /// already framed (``WireEnd``). Asked right after the head was written.
    var answerIsChunked: Bool {
        guard !refused, let request = requests.first, request.answerStarted else { return false }
        return request.chunked
    }

    // MARK: Refusing and closing

    /// Answers the request being read with `error` (or only closes, if its answer has begun) and closes the
    /// connection; when earlier answers are still being written, closes once they have ended. `readOn` tells
    /// whether the request's head went on to be answered (it is then the last of ``requests``).
    private func refuse(_ error: EdgeRouterError, readOn: Bool, context: ChannelHandlerContext) {
        closing = true
        timer?.cancel()
        timer = nil
        let current = readOn ? requests.last : nil
        let earlier = requests.count - (current == nil ? 0 : 1)
        if current?.answerStarted ?? false {
            context.close(promise: nil)
        } else if earlier > 0 {
            closeAfterAnswers = earlier
        } else {
            writeRefusal(error, context: context)
        }
    }

    private func writeRefusal(_ error: EdgeRouterError, context: ChannelHandlerContext) {
        refused = true
        let (head, body) = ErrorResponse.parts(error, requestID: EdgeRequestContext.makeRequestID(), dialect: dialect)
        var headers = HTTPHeaders()
        for field in head.headerFields { headers.add(name: field.name.canonicalName, value: field.value) }
        headers.add(name: "date", value: date.now())
        headers.replaceOrAdd(name: "connection", value: "close")
        let status = HTTPResponseStatus(statusCode: head.status.code)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(.end(nil)), promise: written)
        requests.removeAll()
        closeGracefully(after: written.futureResult, context: context)
    }

    /// Shuts the output once `written` (the last answer's end) has been written, then drops what the client still
    /// sends until it closes its side or ``lingerTime`` passes.
    private func closeGracefully(after written: EventLoopFuture<Void>, context: ChannelHandlerContext) {
        closing = true
        timer?.cancel()
        timer = nil
        let channel = context.channel
        context.flush()
        written.whenComplete { _ in
            channel.close(mode: .output).whenComplete { _ in
                channel.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
            }
        }
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // While lingering, the gate reads on its own: nobody else asks for the parts it drops.
        if closing {
            context.read()
            return
        }
        context.fireChannelReadComplete()
    }

    // MARK: The timer

    /// Makes sure a timer fires at the timeline's deadline (or earlier: it then re-arms itself).
    private func armTimer() {
        guard let context, !closing, let deadline = timeline.deadline else { return }
        if let pending = timerDeadline, timer != nil, pending <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        let box = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) { box.value.timerFired() }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let context, !closing, let deadline = timeline.deadline else { return }
        guard deadline <= .now() else {
            armTimer()
            return
        }
        let timeout = timeline.timeout
        metrics.recordTimeout(timeout)
        switch timeout {
        case .idle:
            closing = true
            context.close(promise: nil)
        case .header:
            let error = EdgeRouterError(.invalidRequest, "The request head did not arrive in time.", status: 408)
            refuse(error, readOn: false, context: context)
        case .body:
            let error = EdgeRouterError(.invalidRequest, "The request body did not arrive in time.", status: 408)
            refuse(error, readOn: true, context: context)
        }
    }
}
