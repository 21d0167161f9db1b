
@testable import EdgeRouter
import Foundation
import FoundationEssentials
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOPosix
import ProviderSim
import Testing

/// Chat requests are answered by the router's own handler, everything else by Hummingbird behind it; a client
/// that pipelines gets its responses in the order of its requests all the same.
@Suite("Request order on one connection", .timeLimit(.minutes(5)))
struct RequestOrderTests {
    static func head(_ method: HTTPRequest.Method, _ path: String) -> HTTPRequestPart {
        .head(HTTPRequest(method: method, scheme: nil, authority: nil, path: path))
    }

    static func side(_ head: HTTPRequest) -> RequestOrder.Side {
        ChatCompletionsHandler.matches(head) ? .router : .application
    }

    @Test("only the chat endpoints (POST, with or without a query) are the router's")
    func matching() {
        #expect(ChatCompletionsHandler.matches(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/chat/completions")))
        #expect(ChatCompletionsHandler.matches(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/chat/completions?x=1")))
        #expect(!ChatCompletionsHandler.matches(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/v1/chat/completions")))
        #expect(!ChatCompletionsHandler.matches(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/chat/completions/x")))
        #expect(!ChatCompletionsHandler.matches(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/models")))
        #expect(ChatCompletionsHandler.matches(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1/messages")))
        #expect(ChatCompletionsHandler.matches(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/v1beta/models/m:generateContent")))
    }

    @Test("a request's parts follow its head; requests of one side pass while nothing of the other is pending")
    func partsFollowTheirHead() {
        var order = RequestOrder()
        #expect(order.route(Self.head(.post, "/v1/chat/completions"), side: Self.side) == .handle)
        #expect(order.route(.body(ByteBuffer(string: "{}")), side: Self.side) == .handle)
        #expect(order.route(.end(nil), side: Self.side) == .handle)
        order.routerResponseEnded()
        #expect(order.route(Self.head(.get, "/v1/models"), side: Self.side) == .passOn)
        #expect(order.route(.end(nil), side: Self.side) == .passOn)
        #expect(order.route(Self.head(.get, "/healthz"), side: Self.side) == .passOn, "the application orders its own")
        #expect(order.route(.end(nil), side: Self.side) == .passOn)
        #expect(order.applicationPending == 2)
    }

    @Test("a chat request waits for the application's pending responses, and everything after it waits too")
    func chatWaitsForApplication() {
        var order = RequestOrder()
        _ = order.route(Self.head(.get, "/v1/models"), side: Self.side)
        _ = order.route(.end(nil), side: Self.side)
        #expect(order.route(Self.head(.post, "/v1/chat/completions"), side: Self.side) == .hold)
        #expect(order.route(.end(nil), side: Self.side) == .hold)
        #expect(order.route(Self.head(.get, "/healthz"), side: Self.side) == .hold, "held behind the held chat request")
        order.applicationResponseEnded()
        var replayed: [RequestOrder.Action] = []
        var held = order.takeHeld()
        while let part = held.popFirst() { replayed.append(order.route(part, side: Self.side)) }
        #expect(replayed == [.handle, .handle, .hold], "the chat request runs; the next request waits for its answer")
        order.routerResponseEnded()
        held = order.takeHeld()
        #expect(held.count == 1)
        #expect(order.route(held.first!, side: Self.side) == .passOn)
    }

    @Test("while the router answers, every later request waits")
    func applicationWaitsForRouter() {
        var order = RequestOrder()
        _ = order.route(Self.head(.post, "/v1/chat/completions"), side: Self.side)
        _ = order.route(.end(nil), side: Self.side)
        #expect(order.route(Self.head(.get, "/v1/models"), side: Self.side) == .hold)
        #expect(order.route(Self.head(.post, "/v1/chat/completions"), side: Self.side) == .hold)
        #expect(order.held.count == 2)
    }

    @Test("pipelined requests of both kinds are answered in order over one connection")
    func pipelinedOverOneConnection() async throws {
        var settings = ChatStreamingTests.fastSim()
        settings.tokensPerSecond = 200
        try await RouterHarness.run(sims: [settings], yaml: { testYAML(ports: $0) }) { harness in
            let auth = "authorization: Bearer \(RouterHarness.clientKey)\r\n"
            func chat(stream: Bool, close: Bool = false) -> String {
                let body = RouterHarness.chatBody(model: "m", stream: stream)
                return "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n\(auth)content-type: application/json\r\n"
                    + "content-length: \(body.utf8.count)\r\n\(close ? "connection: close\r\n" : "")\r\n\(body)"
            }
            let requests =
                "GET /v1/models HTTP/1.1\r\nhost: x\r\n\(auth)\r\n" + chat(stream: true)
                + "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n" + chat(stream: false)
                + "GET /v1/models HTTP/1.1\r\nhost: x\r\n\(auth)\r\n" + chat(stream: true, close: true)
            let answer = try await Self.exchangeRaw(port: harness.router.port, sending: requests)
            let markers = [#""object":"list""#, "data: [DONE]", #"{"status":"ok"}"#, #""object":"chat.completion""#, #""object":"list""#, "data: [DONE]"]
            var position = answer.startIndex
            for marker in markers {
                let found = try #require(answer[position...].range(of: marker), "'\(marker)' missing or out of order in:\n\(answer)")
                position = found.upperBound
            }
            #expect(answer.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 6)
        }
    }

    /// Writes `request` on a new connection and reads until the router closes it (at most `limit`).
    static func exchangeRaw(port: Int, sending request: String, within limit: Duration = .seconds(60)) async throws -> String {
        try await bounded(limit, "the router closing the connection") {
            try await exchangeRawUnbounded(port: port, sending: request)
        }
    }

    private static func exchangeRawUnbounded(port: Int, sending request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received = ByteBuffer()
            for try await var part in inbound { received.writeBuffer(&part) }
            return String(buffer: received)
        }
    }
}
