@testable import EdgeWire
import Testing

@Suite("SSE parser", .timeLimit(.minutes(5)))
struct SSEParserTests {
    static let stream = Array(
        "data: {\"a\":1}\n\n: keep-alive comment\n\nevent: message_start\r\ndata: first line\r\ndata: second line\r\nid: 7\r\n\r\ndata:no-space\rdata: é😀\n\ndata: [DONE]\n\n"
            .utf8)

    static let expected = [
        SSEEvent(type: nil, data: Array("{\"a\":1}".utf8)),
        SSEEvent(type: "message_start", data: Array("first line\nsecond line".utf8), id: "7"),
        SSEEvent(type: nil, data: Array("no-space\né😀".utf8), id: "7"),
        SSEEvent(type: nil, data: Array("[DONE]".utf8), id: "7"),
    ]

    @Test("whole input: LF, CRLF and CR line ends, comments, multi-line data, ids")
    func wholeInput() throws {
        var parser = SSEParser()
        #expect(try parser.parse(Self.stream) == Self.expected)
        #expect(parser.finish() == nil)
    }

    @Test("the same events whatever byte the input is split at, including inside CRLF and UTF-8")
    func everySplit() throws {
        for split in 0...Self.stream.count {
            var parser = SSEParser()
            var events = try parser.parse(Self.stream[..<split])
            events += try parser.parse(Self.stream[split...])
            #expect(events == Self.expected, "split at byte \(split)")
        }
    }

    @Test("one byte at a time")
    func byteByByte() throws {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        for byte in Self.stream { events += try parser.parse([byte]) }
        #expect(events == Self.expected)
    }

    @Test("a last event without its blank line is delivered at the end of the stream")
    func finishDispatchesPendingEvent() throws {
        var parser = SSEParser()
        #expect(try parser.parse(Array("data: tail".utf8)).isEmpty)
        #expect(parser.finish() == SSEEvent(data: Array("tail".utf8)))
    }

    @Test("an event with no data is not dispatched; unknown fields are ignored")
    func emptyEvents() throws {
        var parser = SSEParser()
        #expect(try parser.parse(Array("event: ping\n\nretry: 10\nfoo: bar\n\n".utf8)).isEmpty)
    }

    @Test("a line over the limit is an error, not a memory sink")
    func lineLimit() {
        var parser = SSEParser(maxLineLength: 16)
        #expect(throws: SSEParser.LineTooLong.self) {
            _ = try parser.parse(Array(("data: " + String(repeating: "x", count: 32)).utf8))
        }
    }
}
