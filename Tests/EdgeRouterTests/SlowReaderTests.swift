
@testable import EdgeRouter
@testable import RoutingCore
import FoundationEssentials
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// A client that reads slowly pauses its upstream stream; that pause is the client's, never counted as the
/// provider's idleness, and a client that stops reading for too long is cut without blaming the provider.
@Suite("Slow readers are not the provider's fault", .timeLimit(.minutes(3)))
struct SlowReaderTests {
    /// Frames of the stub's long answer, and the text of each.
    static let frames = 8_000
    static let piece = String(repeating: "x", count: 1000)

    /// A long answer (about 9 MB of SSE): more than the socket buffers between the router and a client hold.
    static let longAnswer: StubProvider.Script = { _, connection in
        try await connection.write(StubProvider.streamHead())
        let batch = String(repeating: StubProvider.chunk(piece), count: 100)
        for _ in 0..<(frames / 100) { try await connection.write(batch) }
        try await connection.write(StubProvider.chunk(nil, finish: "stop") + StubProvider.done)
    }

    /// A raw client connection that reads only when told to.
    final class PausedClient: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked Sendable: the handler's state is touched on its channel's event loop only; `received` is locked.
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox(ByteBuffer())
        let closed: EventLoopPromise<Void>

        init(closed: EventLoopPromise<Void>) { self.closed = closed }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var part = unwrapInboundIn(data)
            received.withLockedValue { $0.writeBuffer(&part) }
        }

        func channelInactive(context: ChannelHandlerContext) { closed.succeed() }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

        /// Connects to the router, sends a streaming chat request, and reads nothing until ``read(_:)``.
        static func connect(port: Int) async throws -> (any Channel, PausedClient) {
            let group = MultiThreadedEventLoopGroup.singleton
            let closed = group.next().makePromise(of: Void.self)
            let handler = PausedClient(closed: closed)
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.autoRead, value: false)
                .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
                .connect(host: "127.0.0.1", port: port).get()
            let body = RouterHarness.chatBody(model: "m", stream: true)
            let request = "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer \(RouterHarness.clientKey)\r\n"
                + "content-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
            try await channel.writeAndFlush(ByteBuffer(string: request))
            return (channel, handler)
        }

        /// Starts reading everything, and waits (bounded) for the router to close the connection.
        func readToEnd(_ channel: any Channel) async throws -> String {
            try await channel.setOption(.autoRead, value: true)
            channel.read()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.closed.futureResult.get() }
                group.addTask {
                    try await Task.sleep(for: .seconds(60))
                    throw CancellationError()
                }
                try await group.next()
                group.cancelAll()
            }
            return received.withLockedValue { String(buffer: $0) }
        }
    }

    @Test("a client that stops reading for longer than idle_ms, then resumes, gets its whole stream; the breaker records nothing")
    func pausedClientGetsEverything() async throws {
        try await RouterHarness.withStub(Self.longAnswer, healthyFallback: false, idleMs: 1000) { harness, _ in
            let (channel, client) = try await PausedClient.connect(port: harness.router.port)
            // Three idle timeouts' worth of not reading: the router must hold the provider's stream, not time it out.
            try await Task.sleep(for: .seconds(3))
            let body = try await client.readToEnd(channel)
            #expect(body.hasPrefix("HTTP/1.1 200"))
            #expect(body.contains("data: [DONE]"), "the stream ended early: \(body.suffix(300))")
            #expect(!body.contains(#""error""#))
            #expect(body.components(separatedBy: Self.piece).count - 1 == Self.frames)
            let runtime = try #require(harness.router.engine.runtimes.first { $0.deployment.provider.id == "p0" })
            let snapshot = runtime.snapshot(now: MonotonicTime.now())
            #expect(snapshot.lastFailure == nil)
            #expect(snapshot.breaker == .closed)
        }
    }

    @Test("a client unwritable past client_stall_ms is cut with its own reason and metric; the provider is not blamed")
    func stalledClientIsCut() async throws {
        try await RouterHarness.withStub(
            Self.longAnswer, healthyFallback: false, idleMs: 1000, server: "  timeouts: { client_stall_ms: 1500 }"
        ) { harness, _ in
            let (channel, client) = try await PausedClient.connect(port: harness.router.port)
            var stalls = 0
            for _ in 0..<200 where stalls == 0 {
                let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
                stalls = metrics.split(separator: "\n").first { $0.hasPrefix("edge_client_stalls_total") }
                    .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
                if stalls == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(stalls == 1)
            let body = try await client.readToEnd(channel)
            #expect(!body.contains("data: [DONE]"))
            let runtime = try #require(harness.router.engine.runtimes.first { $0.deployment.provider.id == "p0" })
            let snapshot = runtime.snapshot(now: MonotonicTime.now())
            #expect(snapshot.lastFailure == nil)
            #expect(snapshot.breaker == .closed)
            let metrics = try await harness.send("/metrics", method: .GET, headers: []).body
            #expect(!metrics.contains(#"edge_stream_interruptions_total{model="m",provider="p0"} 1"#))
        }
    }
}
