import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import ProviderSim
import Testing

/// The connection handler driven through an `EmbeddedChannel` on virtual time: exact timing, no sockets.
@Suite("Simulator connection", .timeLimit(.minutes(5)))
struct SimulatorConnectionTests {
    /// A connection to a simulator, on an embedded loop whose clock the test moves.
    struct Harness {
        let channel = EmbeddedChannel()
        let sim: ProviderSimulator
        let resources: LoopResources

        init(_ settings: SimulatorSettings, quiesced: Bool = false) throws {
            var logger = Logger(label: "sim-test")
            logger.logLevel = .critical
            sim = ProviderSimulator(settings: settings, eventLoopGroup: channel.embeddedEventLoop, logger: logger)
            resources = LoopResources(eventLoop: channel.embeddedEventLoop)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try pipeline.addHandler(SimulatorConnection(simulator: sim, resources: resources, quiesced: quiesced))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        }

        func send(_ body: String, path: String = "/v1/chat/completions", headers: String = "") throws {
            try channel.writeInbound(
                ByteBuffer(string: "POST \(path) HTTP/1.1\r\nhost: sim\r\n\(headers)content-length: \(body.utf8.count)\r\n\r\n\(body)"))
        }

        /// Everything written since the last call, as text.
        func output() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        func advance(_ milliseconds: Int64) {
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(milliseconds))
        }
    }

    static func streaming(ttft: Double = 60, tokensPerSecond: Double = 50, tokens: Int = 3) -> SimulatorSettings {
        var settings = SimulatorSettings()
        settings.ttftMilliseconds = ttft
        settings.tokensPerSecond = tokensPerSecond
        settings.answerTokens = tokens
        return settings
    }

    static let chat = #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}"#

    @Test("the head and role chunk at once, each token on time, then finish, usage, [DONE] and the last chunk")
    func timing() throws {
        let harness = try Harness(Self.streaming())
        try harness.send(Self.chat)
        let head = try harness.output()
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\ndate: "))
        #expect(head.contains(#"data: {"id":"chatcmpl-sim1","object":"chat.completion.chunk","created":"#))
        #expect(head.contains(#""model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}"#))
        harness.advance(59)
        #expect(try harness.output() == "")
        harness.advance(1)
        let first = try harness.output()
        #expect(first.contains(#""delta":{"content":"The"},"logprobs":null,"finish_reason":null}],"usage":null}"#))
        #expect(first.hasSuffix("\n\n\r\n"))
        harness.advance(19)
        #expect(try harness.output() == "")
        harness.advance(1)
        #expect(try harness.output().contains(#"{"content":" quick"}"#))
        harness.advance(20)
        let last = try harness.output()
        #expect(last.contains(#"{"content":" brown"}"#))
        #expect(last.contains(#""delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#))
        #expect(last.contains(#""choices":[],"usage":{"prompt_tokens":"#))
        #expect(last.hasSuffix("data: [DONE]\n\n\r\n0\r\n\r\n"))
        #expect(harness.sim.stats == { var s = SimulatorStats(); s.received = 1; s.completed = 1; return s }())
        #expect(harness.resources.clock.pending == 0)
        #expect(harness.channel.isActive, "kept alive")
    }

    @Test("without include_usage: no usage field and no usage chunk")
    func noUsage() throws {
        let harness = try Harness(Self.streaming(ttft: 0, tokens: 2))
        try harness.send(#"{"model":"m","stream":true}"#)
        harness.advance(100)
        let text = try harness.output()
        #expect(!text.contains("usage"))
        #expect(text.contains("data: [DONE]"))
    }

    @Test("a client leaving mid-stream is counted cancelled at once, and its wake-up forgotten")
    func clientLeaves() throws {
        let harness = try Harness(Self.streaming(tokens: 64))
        try harness.send(Self.chat)
        harness.advance(100)
        #expect(try harness.output().contains(#"{"content":" quick"}"#))
        #expect(harness.sim.stats.inFlight == 1)
        #expect(harness.resources.clock.pending == 1)
        try harness.channel.close().wait()
        #expect(harness.sim.stats.cancelled == 1)
        #expect(harness.sim.stats.inFlight == 0)
        #expect(harness.resources.clock.pending == 0)
    }

    @Test("hang: the role chunk, then nothing until the client leaves, counted cancelled")
    func hang() throws {
        var settings = Self.streaming()
        settings.hang = true
        let harness = try Harness(settings)
        try harness.send(Self.chat)
        #expect(try harness.output().contains(#""role":"assistant""#))
        harness.advance(10_000)
        #expect(try harness.output() == "")
        try harness.channel.close().wait()
        #expect(harness.sim.stats.cancelled == 1)
        #expect(harness.sim.stats.inFlight == 0)
    }

    @Test("cut_after_tokens: the tokens before the cut, then the connection drops without finishing")
    func cut() throws {
        var settings = Self.streaming(tokens: 8)
        settings.cutAfterTokens = 2
        let harness = try Harness(settings)
        try harness.send(Self.chat)
        harness.advance(99)
        #expect(harness.channel.isActive)
        harness.advance(1)
        let text = try harness.output()
        #expect(text.contains(#"{"content":" quick"}"#))
        #expect(!text.contains("[DONE]"))
        #expect(!harness.channel.isActive)
        #expect(harness.sim.stats.cut == 1)
        #expect(harness.sim.stats.inFlight == 0)
    }

    @Test("malformed_rate: frames replaced by broken JSON")
    func malformed() throws {
        var settings = Self.streaming(ttft: 0, tokens: 4)
        settings.malformedRate = 1
        let harness = try Harness(settings)
        try harness.send(Self.chat)
        harness.advance(100)
        let text = try harness.output()
        #expect(text.components(separatedBy: "data: {\"id\":\"broken\",\"choices\":[{\"delta\":{\"content\":\n\n").count == 5)
        #expect(text.contains("[DONE]"))
    }

    @Test("a non-streamed answer after TTFT plus the tokens, with its content length")
    func nonStreaming() throws {
        let harness = try Harness(Self.streaming(ttft: 50, tokensPerSecond: 100, tokens: 4))
        try harness.send(#"{"model":"m","messages":[]}"#)
        harness.advance(79)
        #expect(try harness.output() == "")
        harness.advance(1)
        let text = try harness.output()
        let body = #"{"id":"chatcmpl-sim1","object":"chat.completion","created":"#
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "))
        #expect(text.contains(body))
        #expect(text.contains(#""message":{"role":"assistant","content":"The quick brown fox"}"#))
        #expect(harness.sim.stats.completed == 1)
    }

    @Test("a request pipelined behind a stream is answered after it, in order")
    func pipelining() throws {
        let harness = try Harness(Self.streaming(ttft: 10, tokens: 1))
        let body = #"{"model":"m","stream":true}"#
        try harness.channel.writeInbound(
            ByteBuffer(
                string: "POST /v1/chat/completions HTTP/1.1\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)"
                    + "GET /_sim/stats HTTP/1.1\r\n\r\n"))
        #expect(!(try harness.output().contains("in_flight")))
        harness.advance(10)
        let text = try harness.output()
        let done = try #require(text.range(of: "[DONE]"))
        let stats = try #require(text.range(of: #""in_flight":0"#))
        #expect(done.upperBound < stats.lowerBound)
    }

    @Test("quiescing lets the stream in flight finish, then closes")
    func quiesce() throws {
        let harness = try Harness(Self.streaming(ttft: 10, tokens: 3))
        try harness.send(Self.chat)
        harness.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        harness.advance(20)
        #expect(harness.channel.isActive)
        harness.advance(100)
        #expect(try harness.output().hasSuffix("0\r\n\r\n"))
        #expect(!harness.channel.isActive)
        #expect(harness.sim.stats.completed == 1)
    }

    @Test("quiescing closes an idle connection at once")
    func quiesceIdle() throws {
        let harness = try Harness(Self.streaming())
        harness.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!harness.channel.isActive)
    }

    @Test("an API key is required when set; a wrong one is a 401 counted failed once")
    func apiKey() throws {
        var settings = Self.streaming(ttft: 0)
        settings.requiredAPIKey = "secret"
        let harness = try Harness(settings)
        try harness.send(Self.chat, headers: "authorization: Bearer wrong\r\n")
        let text = try harness.output()
        #expect(text.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        #expect(text.contains(#""type":"authentication_error""#))
        try harness.send(Self.chat, headers: "authorization: Bearer secret\r\n")
        harness.advance(100)
        #expect(try harness.output().contains("[DONE]"))
        var expected = SimulatorStats()
        expected.received = 2
        expected.failed = 1
        expected.completed = 1
        #expect(harness.sim.stats == expected)
    }

    @Test("an injected 429 carries Retry-After; a bad body is a 400; an unknown path a 404")
    func errors() throws {
        var settings = Self.streaming(ttft: 0)
        settings.errorRate = 1
        settings.errorStatus = 429
        settings.retryAfterSeconds = 3
        let harness = try Harness(settings)
        try harness.send(Self.chat)
        let failed = try harness.output()
        #expect(failed.hasPrefix("HTTP/1.1 429 Too Many Requests\r\n"))
        #expect(failed.contains("retry-after: 3\r\n"))
        #expect(failed.contains(#""type":"rate_limit_error""#))
        try harness.send("{not json")
        #expect(try harness.output().contains(#""message":"invalid request body""#))
        try harness.send("{}", path: "/v2/nothing")
        #expect(try harness.output().hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(harness.sim.stats.received == 1)
        #expect(harness.sim.stats.failed == 1)
        #expect(harness.sim.stats.inFlight == 0)
    }
}
