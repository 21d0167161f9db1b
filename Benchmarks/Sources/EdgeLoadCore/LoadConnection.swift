import NIOCore
import NIOHTTP1

/// A request on its way: when it was due to start, and whether it falls in the measured window.
struct InFlightRequest {
    /// The scheduled start (open loop) or the moment it was issued (concurrency); all latencies count from here,
    /// so time spent waiting for a free connection is part of them.
    var start: NIODeadline
    var measured: Bool
    /// Index of the target it goes to, in the plan's targets.
    var target = 0
}

/// How a request ended, as the connection saw it.
enum RequestOutcome {
    case success
    case failure(FailureKind)
}

/// What a connection measured of one streamed answer.
struct StreamTiming {
    var firstContentAt: NIODeadline?
    var lastContentAt: NIODeadline?
    /// Nanoseconds between consecutive content deltas (kept between requests to avoid reallocating).
    var gaps: [Int64] = []
    var contentDeltas = 0
    var sawDone = false
    /// The value of the plan's served-by response header, when it has one.
    var servedBy: String?

    mutating func reset() {
        firstContentAt = nil
        lastContentAt = nil
        gaps.removeAll(keepingCapacity: true)
        contentDeltas = 0
        sawDone = false
        servedBy = nil
    }
}

/// Callbacks from a connection to the worker that owns it, always on the worker's event loop.
protocol LoadConnectionDelegate: AnyObject {
    /// The request ended; `reusable` says whether the connection may carry another one (keep-alive).
    func connection(
        _ connection: LoadConnection, finished request: InFlightRequest, outcome: RequestOutcome, timing: StreamTiming,
        at end: NIODeadline, reusable: Bool)
    /// The connection closed (after reporting any request it carried).
    func connectionClosed(_ connection: LoadConnection)
}

/// One keep-alive HTTP/1.1 client connection carrying one request at a time (no pipelining, like real clients).
///
/// It times the answer as it arrives: for an event stream, each `data:` frame is classified as it is read, so the
/// time of the first content delta and the gaps between deltas are those seen on the wire, not after buffering.
final class LoadConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let template: RequestTemplate
    /// Index of the target this connection is open to, in the plan's targets.
    let target: Int
    private let servedByHeader: String?
    private weak var delegate: (any LoadConnectionDelegate)?
    private var context: ChannelHandlerContext?

    /// The request being answered, if any.
    private(set) var active: InFlightRequest?
    private var status = 0
    private var isEventStream = false
    private var keepAlive = true
    private var headReceived = false
    private var scanner = SSEDataScanner()
    private var timing = StreamTiming()
    private var closed = false

    init(template: RequestTemplate, target: Int, servedByHeader: String?, delegate: any LoadConnectionDelegate) {
        self.template = template
        self.target = target
        self.servedByHeader = servedByHeader
        self.delegate = delegate
        timing.gaps.reserveCapacity(128)
    }

    var isBusy: Bool { active != nil }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Sends a request; the connection must be idle and open.
    func send(_ request: InFlightRequest) {
        guard let context, !closed else {
            delegate?.connection(self, finished: request, outcome: .failure(.closed), timing: timing, at: .now(), reusable: false)
            return
        }
        active = request
        status = 0
        isEventStream = false
        keepAlive = true
        headReceived = false
        scanner = SSEDataScanner()
        timing.reset()
        context.write(wrapOutboundOut(.head(template.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(template.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Ends the active request as a failure of `kind` and closes the connection (its state is unknown now).
    func abort(_ kind: FailureKind, at now: NIODeadline) {
        guard let request = active else { return }
        active = nil
        delegate?.connection(self, finished: request, outcome: .failure(kind), timing: timing, at: now, reusable: false)
        close()
    }

    /// Closes the connection; `connectionClosed` follows once it is down.
    func close() {
        guard !closed, let context else { return }
        closed = true
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            headReceived = true
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
            isEventStream = head.headers.first(name: "content-type").map { $0.hasPrefix("text/event-stream") } ?? false
            if let servedByHeader { timing.servedBy = head.headers.first(name: servedByHeader) }
        case .body(let buffer):
            guard active != nil, isEventStream, status == 200 else { return }
            var now: NIODeadline?
            buffer.withUnsafeReadableBytes { bytes in
                scanner.scan(bytes) { kind in
                    switch kind {
                    case .content:
                        let at = now ?? NIODeadline.now()
                        now = at
                        if let last = timing.lastContentAt {
                            timing.gaps.append((at - last).nanoseconds)
                        } else {
                            timing.firstContentAt = at
                        }
                        timing.lastContentAt = at
                        timing.contentDeltas += 1
                    case .done:
                        timing.sawDone = true
                    case .other:
                        break
                    }
                }
            }
        case .end:
            guard let request = active else { return }
            active = nil
            let outcome: RequestOutcome
            if status != 200 {
                outcome = .failure(.status(status))
            } else if isEventStream && !timing.sawDone {
                outcome = .failure(.streamCut)
            } else {
                outcome = .success
            }
            let reusable = keepAlive && !closed
            delegate?.connection(self, finished: request, outcome: outcome, timing: timing, at: .now(), reusable: reusable)
            if !reusable { close() }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let kind: FailureKind = error is HTTPParserError ? .badResponse : (headReceived && isEventStream ? .streamCut : .closed)
        abort(kind, at: .now())
        close()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if let request = active {
            active = nil
            let kind: FailureKind = headReceived && isEventStream && status == 200 ? .streamCut : .closed
            delegate?.connection(self, finished: request, outcome: .failure(kind), timing: timing, at: .now(), reusable: false)
        }
        delegate?.connectionClosed(self)
        context.fireChannelInactive()
    }
}

/// The request every connection sends, built once: the head and the body are shared, not copied, per request.
struct RequestTemplate {
    let head: HTTPRequestHead
    let body: ByteBuffer

    init(target: TargetURL, spec: RequestSpec) {
        let body = ByteBuffer(string: spec.body)
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "\(target.host):\(target.port)")
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        if spec.stream { headers.add(name: "accept", value: "text/event-stream") }
        if let key = spec.apiKey { headers.add(name: "authorization", value: "Bearer \(key)") }
        head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.path, headers: headers)
        self.body = body
    }
}
