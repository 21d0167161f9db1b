import AsyncHTTPClient
import EdgeRouter
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ProviderSim
import ServiceLifecycle
import Testing

@Suite("Graceful shutdown", .timeLimit(.minutes(5)))
struct GracefulShutdownTests {
    @Test("a graceful shutdown lets an in-flight stream finish, then stops")
    func drainsInFlightStream() async throws {
        var settings = ChatStreamingTests.fastSim()
        settings.tokensPerSecond = 50
        settings.answerTokens = 10
        let (simPorts, simPort) = AsyncStream.makeStream(of: Int.self)
        let sim = ProviderSimulator(settings: settings, logger: RouterHarness.logger) { simPort.yield($0) }
        let simService = ServiceRunner([sim])
        let port = try await first(of: simPorts, "the simulator listening")

        let configuration = try ConfigurationLoader.parse(
            yaml: testYAML(ports: [port]), environment: ["TEST_PROVIDER_KEY": "k"])
        let (routerPorts, routerPort) = AsyncStream.makeStream(of: Int.self)
        let router = try EdgeRouterServer(configuration: configuration, logger: RouterHarness.logger) { routerPort.yield($0) }
        let group = ServiceGroup(services: [router], logger: RouterHarness.logger)
        let groupTask = Task { try await group.run() }
        let listening = try await first(of: routerPorts, "the router listening")

        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(listening)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(RouterHarness.clientKey)")
        request.body = .bytes(ByteBuffer(string: RouterHarness.chatBody(model: "m", stream: true)))
        let response = try await client.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)

        // The head has arrived, so the stream is in flight: now ask the router to stop.
        await group.triggerGracefulShutdown()
        let body = try await bounded(.seconds(60), "the stream's end") { try await response.body.collect(upTo: 1 << 20) }
        let text = String(buffer: body)
        #expect(ssePayloads(text).last == "[DONE]")
        #expect(streamedText(text) == "The quick brown fox jumps over the lazy dog.")
        try await bounded(.seconds(60), "the router's graceful shutdown") { try await groupTask.value }
        try await client.shutdown()
        await simService.stopAndWait()
    }
}
