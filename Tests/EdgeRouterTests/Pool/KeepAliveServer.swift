import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A keep-alive HTTP/1.1 server on 127.0.0.1 (ephemeral port) whose every answer a pool test chooses: a complete
/// OpenAI event stream with a `content-length`, kept alive or closed after it; a connection dropped without an
/// answer; or an answer held until the test lets it go. It counts connections and requests, and reports each
/// request as it arrives, so that a test awaits events instead of sleeping.
final class KeepAliveServer: Sendable {
    /// What the server does with one request: `connection` counts from 1, `request` counts the connection's own.
    enum Action: Sendable {
        case answer
        case answerThenClose
        case dropWithoutAnswer
        /// Answered when ``releaseHeld()`` is called.
        case hold
    }

    typealias Policy = @Sendable (_ connection: Int, _ request: Int) -> Action

    let port: Int
    /// Each request as it arrives: its connection's number.
    let arrivals: AsyncStream<Int>
    private let channel: any Channel
    private let state: NIOLockedValueBox<State>

    struct State {
        var connections = 0
        var requests = 0
        var held: [@Sendable () -> Void] = []
    }

    var connections: Int { state.withLockedValue { $0.connections } }
    var requests: Int { state.withLockedValue { $0.requests } }

    /// The body of every answer: two content chunks, a finish and `[DONE]`.
    static let stream =
        #"data: {"id":"k","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#
        + "\n\n"
        + #"data: {"id":"k","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#
        + "\n\ndata: [DONE]\n\n"

    private init(port: Int, channel: any Channel, arrivals: AsyncStream<Int>, state: NIOLockedValueBox<State>) {
        self.port = port
        self.channel = channel
        self.arrivals = arrivals
        self.state = state
    }

    /// Starts a server answering as `policy` says, over TLS when `tls` is set.
    static func start(tls: NIOSSLContext? = nil, _ policy: @escaping Policy = { _, _ in .answer }) async throws -> KeepAliveServer {
        let state = NIOLockedValueBox(State())
        let (arrivals, arrived) = AsyncStream<Int>.makeStream()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let number = state.withLockedValue { state in
                    state.connections += 1
                    return state.connections
                }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        Responder(connection: number, policy: policy, state: state, arrived: arrived))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return KeepAliveServer(port: channel.localAddress?.port ?? 0, channel: channel, arrivals: arrivals, state: state)
    }

    /// Answers every held request.
    func releaseHeld() {
        let held = state.withLockedValue { state in
            defer { state.held = [] }
            return state.held
        }
        for answer in held { answer() }
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked Sendable: NIO calls a handler on its channel's event loop only, where `served` lives.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let connection: Int
        let policy: Policy
        let state: NIOLockedValueBox<State>
        let arrived: AsyncStream<Int>.Continuation
        var served = 0

        init(connection: Int, policy: @escaping Policy, state: NIOLockedValueBox<State>, arrived: AsyncStream<Int>.Continuation) {
            self.connection = connection
            self.policy = policy
            self.state = state
            self.arrived = arrived
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            served += 1
            state.withLockedValue { $0.requests += 1 }
            let action = policy(connection, served)
            // Reported once the answer is under way or held, so that a test that saw it can release it.
            defer { arrived.yield(connection) }
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            switch action {
            case .answer: answer(context, close: false)
            case .answerThenClose: answer(context, close: true)
            case .dropWithoutAnswer: context.close(promise: nil)
            case .hold:
                state.withLockedValue {
                    $0.held.append { loop.execute { bound.value.0.answer(bound.value.1, close: false) } }
                }
            }
        }

        func answer(_ context: ChannelHandlerContext, close: Bool) {
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "content-type", value: "text/event-stream")
            head.headers.add(name: "content-length", value: String(KeepAliveServer.stream.utf8.count))
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: KeepAliveServer.stream)))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if close { written.whenComplete { _ in context.close(promise: nil) } }
        }
    }
}
