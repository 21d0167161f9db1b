import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing

/// What the scripted chat endpoint does once it has received a request. Times are
/// measured from the moment the request was fully received (or released, when held).
enum ServerScript: Sendable {
    /// An OpenAI-style stream: headers plus a role-only chunk after `roleDelay`, the first
    /// content chunk after `firstToken`, `extraChunks` more every `chunkInterval`, then `[DONE]`.
    case stream(roleDelay: Duration, firstToken: Duration, extraChunks: Int, chunkInterval: Duration)
    /// Headers and the role chunk after `roleDelay`, then nothing, forever.
    case hangAfterRole(roleDelay: Duration)
    /// Nothing at all, forever: not even headers.
    case hangBeforeHeaders
    /// A complete non-streaming response with this status and body.
    case status(Int, body: String)
    /// Headers and the role chunk after `roleDelay`, then the connection is closed.
    case closeAfterRole(roleDelay: Duration)
    /// The connection is closed as soon as the request head arrives, while the body may
    /// still be uploading.
    case closeOnRequestHead
    /// Headers and the role chunk, then an SSE error event after `errorDelay`.
    case streamError(errorDelay: Duration, message: String)
}

/// What the server has seen so far.
struct ServerStats: Sendable {
    var connectionsOpened = 0
    var connectionsClosed = 0
    var requestsReceived = 0
    /// Requests received whose response has not been completed (or whose connection has not closed).
    var inFlight = 0
    var maxInFlight = 0
    var lastMethod: String?
    var lastURI: String?
    var lastHeaders: [(name: String, value: String)] = []
    var lastBody: [UInt8] = []
}

/// A small HTTP/1.1 (optionally TLS) server on 127.0.0.1 with an ephemeral port that
/// simulates a streaming chat-completions endpoint, for exercising the probe engine.
final class TestServer: Sendable {
    let port: Int
    let isTLS: Bool
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let state: ServerState

    private init(port: Int, isTLS: Bool, group: MultiThreadedEventLoopGroup, channel: any Channel, state: ServerState) {
        self.port = port
        self.isTLS = isTLS
        self.group = group
        self.channel = channel
        self.state = state
    }

    /// Starts a server running `script` for every request. With `holdResponses`, each
    /// request waits (counted as in flight) until `releaseHeldResponses()`.
    /// With `silent`, connections are accepted but nothing is ever read or sent (not even TLS).
    static func start(
        _ script: ServerScript,
        tls: NIOSSLContext? = nil,
        holdResponses: Bool = false,
        silent: Bool = false
    ) async throws -> TestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = ServerState(holding: holdResponses)
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    state.update { $0.connectionsOpened += 1 }
                    channel.closeFuture.whenComplete { _ in state.update { $0.connectionsClosed += 1 } }
                    return channel.eventLoop.makeCompletedFuture {
                        if silent { return }
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                        }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(ChatHandler(script: script, state: state))
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            guard let port = channel.localAddress?.port else { throw TestFailure("server has no port") }
            return TestServer(port: port, isTLS: tls != nil || silent, group: group, channel: channel, state: state)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// The chat-completions URL of this server.
    var url: String {
        "\(isTLS ? "https" : "http")://127.0.0.1:\(port)/v1/chat/completions"
    }

    /// A snapshot of what the server has seen.
    var stats: ServerStats { state.stats.value }

    /// Waits until `condition` holds for the server's stats and returns them; records a
    /// test failure if that has not happened within `timeout`.
    @discardableResult
    func waitUntil(
        timeout: Duration = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @escaping @Sendable (ServerStats) -> Bool
    ) async -> ServerStats {
        await state.stats.waitUntil(timeout: timeout, sourceLocation: sourceLocation, condition)
    }

    /// Lets held requests (see `start(_:tls:holdResponses:)`) proceed, and all later ones too.
    func releaseHeldResponses() {
        state.release()
    }

    /// Closes the listener and every connection, and stops the server's thread.
    func stop() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}

/// Runs `body` with a started server and always stops the server afterwards.
func withTestServer<T>(
    _ script: ServerScript,
    tls: NIOSSLContext? = nil,
    holdResponses: Bool = false,
    silent: Bool = false,
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = try await TestServer.start(script, tls: tls, holdResponses: holdResponses, silent: silent)
    do {
        let value = try await body(server)
        try await server.stop()
        return value
    } catch {
        try? await server.stop()
        throw error
    }
}

/// A test-only error with a message.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The server's shared state, updated from its event loop and read by the test.
final class ServerState: Sendable {
    /// What the server has seen, awaitable by the test.
    let stats = ObservedValue(ServerStats())
    private let hold: Mutex<(holding: Bool, held: [EventLoopPromise<Void>])>

    init(holding: Bool) {
        hold = Mutex((holding: holding, held: []))
    }

    func update(_ change: (inout ServerStats) -> Void) {
        stats.update(change)
    }

    /// A future to wait on before responding, or `nil` to respond at once.
    func gate(on eventLoop: any EventLoop) -> EventLoopFuture<Void>? {
        hold.withLock { hold in
            guard hold.holding else { return nil }
            let promise = eventLoop.makePromise(of: Void.self)
            hold.held.append(promise)
            return promise.futureResult
        }
    }

    func release() {
        let held = hold.withLock { hold in
            hold.holding = false
            defer { hold.held = [] }
            return hold.held
        }
        for promise in held {
            promise.succeed()
        }
    }
}

/// Serves one connection: scripts a response for each request.
private final class ChatHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let script: ServerScript
    private let state: ServerState
    private var requestHead: HTTPRequestHead?
    private var requestBody: [UInt8] = []
    private var scheduled: [Scheduled<Void>] = []
    private var responding = false

    init(script: ServerScript, state: ServerState) {
        self.script = script
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestHead = head
            requestBody = []
            if case .closeOnRequestHead = script {
                state.update { $0.requestsReceived += 1 }
                context.close(promise: nil)
            }
        case .body(let buffer):
            requestBody.append(contentsOf: buffer.readableBytesView)
        case .end:
            requestComplete(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for task in scheduled { task.cancel() }
        scheduled = []
        finishRequest()
        context.fireChannelInactive()
    }

    private func requestComplete(context: ChannelHandlerContext) {
        if case .closeOnRequestHead = script { return }
        guard let head = requestHead else { return }
        let body = requestBody
        responding = true
        state.update { stats in
            stats.requestsReceived += 1
            stats.inFlight += 1
            stats.maxInFlight = max(stats.maxInFlight, stats.inFlight)
            stats.lastMethod = head.method.rawValue
            stats.lastURI = head.uri
            stats.lastHeaders = head.headers.map { (name: $0.name, value: $0.value) }
            stats.lastBody = body
        }
        if let gate = state.gate(on: context.eventLoop) {
            gate.assumeIsolated().whenSuccess { _ in
                self.runScript(context: context, version: head.version)
            }
        } else {
            runScript(context: context, version: head.version)
        }
    }

    private func finishRequest() {
        guard responding else { return }
        responding = false
        state.update { $0.inFlight -= 1 }
    }

    private func runScript(context: ChannelHandlerContext, version: HTTPVersion) {
        let start = NIODeadline.now()
        switch script {
        case .stream(let roleDelay, let firstToken, let extraChunks, let interval):
            at(start + roleDelay, context) { self.sendStreamHead(context, version) }
            at(start + firstToken, context) { self.sendEvent(context, #"{"choices":[{"delta":{"content":"Hello"}}]}"#) }
            for index in 0..<extraChunks {
                let deadline = start + firstToken + interval * (index + 1)
                at(deadline, context) { self.sendEvent(context, #"{"choices":[{"delta":{"content":" chunk \#(index)"}}]}"#) }
            }
            let last = start + firstToken + interval * extraChunks + .milliseconds(1)
            at(last, context) {
                self.sendEvent(context, "[DONE]")
                self.endResponse(context)
            }
        case .hangAfterRole(let roleDelay):
            at(start + roleDelay, context) { self.sendStreamHead(context, version) }
        case .hangBeforeHeaders, .closeOnRequestHead:
            break
        case .status(let code, let text):
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: "\(text.utf8.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .init(statusCode: code), headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
            endResponse(context)
        case .closeAfterRole(let roleDelay):
            at(start + roleDelay, context) {
                self.sendStreamHead(context, version)
                context.close(promise: nil)
            }
        case .streamError(let errorDelay, let message):
            sendStreamHead(context, version)
            at(start + errorDelay, context) {
                self.sendEvent(context, #"{"error":{"message":"\#(message)","type":"server_error"}}"#)
                self.sendEvent(context, "[DONE]")
                self.endResponse(context)
            }
        }
    }

    private func at(_ deadline: NIODeadline, _ context: ChannelHandlerContext, _ body: @escaping () -> Void) {
        scheduled.append(context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline, body))
    }

    /// The response head plus the role-only chunk that OpenAI sends before any content.
    private func sendStreamHead(_ context: ChannelHandlerContext, _ version: HTTPVersion) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        sendEvent(context, #"{"choices":[{"delta":{"role":"assistant"}}]}"#)
    }

    private func sendEvent(_ context: ChannelHandlerContext, _ payload: String) {
        let buffer = context.channel.allocator.buffer(string: "data: \(payload)\n\n")
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    private func endResponse(_ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        finishRequest()
    }
}

extension NIODeadline {
    static func + (lhs: NIODeadline, rhs: Duration) -> NIODeadline {
        let (seconds, attoseconds) = rhs.components
        return lhs + .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
