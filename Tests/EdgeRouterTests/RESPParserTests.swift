@testable import EdgeRouter
import EdgeWire
import Foundation
import NIOCore
import RoutingCore
import Testing

/// The Redis tier's outside input without a server: RESP2 replies (whole, in pieces, malformed, past the bounds),
/// commands as written, and cached answers as stored in Redis and read back.
@Suite("Response cache: RESP2 parser and the stored answer's encoding", .timeLimit(.minutes(1)))
struct RESPParserTests {
    static func parseAll(_ text: String) throws -> [RESPValue] {
        var buffer = ByteBuffer(string: text)
        var values: [RESPValue] = []
        while let value = try RESPParser().next(from: &buffer) { values.append(value) }
        return values
    }

    @Test("each reply type is read; several replies in one read come out in order")
    func replyTypes() throws {
        let values = try Self.parseAll("+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhe\r\no\r\n$-1\r\n$0\r\n\r\n*2\r\n$1\r\na\r\n:1\r\n*-1\r\n*0\r\n")
        #expect(
            values == [
                .simpleString("OK"), .error("ERR wrong"), .integer(42), .integer(-7), .bulkString(Array("he\r\no".utf8)),
                .bulkString(nil), .bulkString([]), .array([.bulkString(Array("a".utf8)), .integer(1)]), .array(nil), .array([]),
            ])
    }

    @Test("an incomplete reply is left in the buffer, whole, until the rest arrives, at every split point")
    func incompleteReplies() throws {
        let reply = Array("*2\r\n$11\r\nhello world\r\n+OK\r\n".utf8)
        for split in 0..<reply.count {
            var buffer = ByteBuffer(bytes: reply[..<split])
            #expect(try RESPParser().next(from: &buffer) == nil, "split at \(split)")
            #expect(buffer.readableBytes == split)
            buffer.writeBytes(reply[split...])
            #expect(try RESPParser().next(from: &buffer) == .array([.bulkString(Array("hello world".utf8)), .simpleString("OK")]))
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("malformed replies and replies past the bounds are refused, never trapped on")
    func malformed() {
        let bad = [
            "?x\r\n", ":abc\r\n", ":\r\n", "$5\r\nhelloXY", "$-2\r\n", "*-5\r\n", "+OK\rX", "$99999999999999999999\r\n",
            "$\(RESPParser.maxBulkBytes + 1)\r\n", "*\(RESPParser.maxArrayCount + 1)\r\n",
            String(repeating: "*1\r\n", count: RESPParser.maxDepth + 2) + ":1\r\n",
            "+" + String(repeating: "a", count: RESPParser.maxLineBytes + 8),
        ]
        for text in bad {
            #expect(throws: EdgeRouterError.self, "\(text.prefix(40))") { try Self.parseAll(text) }
        }
    }

    @Test("a command is written as an array of bulk strings")
    func commands() {
        var buffer = ByteBuffer()
        RESPCommand.write([Array("SET".utf8), Array("k".utf8), [0, 13, 10], Array("PX".utf8), Array("100".utf8)], into: &buffer)
        #expect(String(buffer: buffer) == "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\0\r\n\r\n$2\r\nPX\r\n$3\r\n100\r\n")
    }

    static func frames(_ dialect: Dialect, _ events: [(String?, String)]) throws -> [UpstreamFrame] {
        var decoder = DialectStreamDecoder(dialect)
        return try events.compactMap { type, data in
            if case .frame(let frame) = try decoder.decode(SSEEvent(type: type, data: Array(data.utf8))) { return frame }
            return nil
        }
    }

    /// An OpenAI answer's frames: "Hel", "lo" (with its finish reason), then the usage chunk.
    static func openAIFrames() throws -> [UpstreamFrame] {
        try frames(
            .openai,
            [
                (nil, #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"#),
                (nil, #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#),
                (nil, #"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"up","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#),
            ])
    }

    @Test("a stored answer reads back the same (frames decoded again by its dialect's decoder); damaged bytes read as nothing")
    func answerCoding() throws {
        let frames = try Self.openAIFrames()
        let answer = CachedAnswer(
            providerDialect: .openai, provider: "p0", upstreamModel: "up", frames: frames, storedAtMs: 1_700_000_000_000, costUSD: 0.25)
        let bytes = CachedAnswerCoding.encode(answer)
        let read = try #require(CachedAnswerCoding.decode(bytes))
        #expect(read.provider == "p0" && read.upstreamModel == "up" && read.providerDialect == .openai)
        #expect(read.storedAtMs == 1_700_000_000_000 && read.costUSD == 0.25 && read.bytes == answer.bytes)
        #expect(read.frames.map(\.payload) == frames.map(\.payload))
        #expect(read.frames.map(\.events) == frames.map(\.events))
        #expect(read.frames.map(\.isUsageOnly) == [false, false, true])
        #expect(read.gapsMs == nil)
        #expect(CachedAnswerCoding.decode(Array(bytes.dropLast())) == nil)
        #expect(CachedAnswerCoding.decode(bytes + [0]) == nil)
        #expect(CachedAnswerCoding.decode([3] + bytes.dropFirst()) == nil)
        #expect(CachedAnswerCoding.decode([]) == nil)
        var huge = bytes
        huge.replaceSubrange(1..<9, with: [255, 255, 255, 255, 255, 255, 255, 127])  // the dialect's length
        #expect(CachedAnswerCoding.decode(huge) == nil)
    }

    @Test("the gaps between frames read back (each at most 10 s); a version 1 entry, written without gaps, reads with none; gaps that do not pair with the frames are dropped")
    func answerGapsCoding() throws {
        let frames = Array(try Self.openAIFrames().prefix(2))
        let answer = CachedAnswer(
            providerDialect: .openai, provider: "p0", upstreamModel: "up", frames: frames, gapsMs: [0, 4_000_000_000],
            storedAtMs: 7, costUSD: 0)
        #expect(answer.gapsMs == [0, 10_000])
        #expect(answer.gap(before: 1) == .seconds(10) && answer.gap(before: 2) == .zero)
        let bytes = CachedAnswerCoding.encode(answer)
        let read = try #require(CachedAnswerCoding.decode(bytes))
        #expect(read.gapsMs == [0, 10_000])
        #expect(read.bytes == answer.bytes)
        // A corrupt gap is bounded as it is read.
        var corrupt = bytes
        corrupt.replaceSubrange((bytes.count - 4)..<bytes.count, with: [255, 255, 255, 255])
        #expect(CachedAnswerCoding.decode(corrupt)?.gapsMs == [0, 10_000])
        #expect(CachedAnswerCoding.decode(Array(bytes.dropLast())) == nil)
        // Version 1: the same fields without the gaps' part.
        let version1 = [1] + bytes.dropFirst().dropLast(9)
        let old = try #require(CachedAnswerCoding.decode(Array(version1)))
        #expect(old.gapsMs == nil && old.frames.map(\.payload) == frames.map(\.payload))
        #expect(CachedAnswerCoding.decode(Array(version1) + [0]) == nil)
        let unpaired = CachedAnswer(
            providerDialect: .openai, provider: "p0", upstreamModel: "up", frames: frames, gapsMs: [0], storedAtMs: 7, costUSD: 0)
        #expect(unpaired.gapsMs == nil && unpaired.gap(before: 1) == .zero)
    }

    @Test("the fuzz corpus's cached-answer seeds read as an entry of the current version, raw and as a RESP bulk string")
    func corpusSeeds() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus/resp")
        let raw = Array(try Data(contentsOf: corpus.appendingPathComponent("cached-answer-v2")))
        #expect(raw.first == CachedAnswerCoding.version)
        #expect(CachedAnswerCoding.decode(raw)?.gapsMs == [0, 40])
        var bulk = ByteBuffer(bytes: try Data(contentsOf: corpus.appendingPathComponent("cached-answer-v2-bulk")))
        #expect(try RESPParser().next(from: &bulk) == .bulkString(raw))
    }

    @Test("Anthropic frames keep their event types through the encoding")
    func anthropicCoding() throws {
        let frames = try Self.frames(
            .anthropic,
            [
                ("message_start", #"{"type":"message_start","message":{"id":"m1","type":"message","role":"assistant","model":"c","content":[],"usage":{"input_tokens":3,"output_tokens":0}}}"#),
                ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
                ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#),
                ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}"#),
            ])
        let answer = CachedAnswer(providerDialect: .anthropic, provider: "p1", upstreamModel: "c", frames: frames, storedAtMs: 5, costUSD: 0)
        let read = try #require(CachedAnswerCoding.decode(CachedAnswerCoding.encode(answer)))
        #expect(read.frames.map(\.eventType) == frames.map(\.eventType))
        #expect(read.frames.map(\.events) == frames.map(\.events))
    }
}
