import Testing

@testable import EdgeWire

/// The scanning ``SSEParser`` against the byte-by-byte parser it replaced (``ByteWiseSSEParser``, kept in this
/// target): on generated streams of fields, comments, data, byte order marks, NULs and every kind of line end, cut
/// into reads at random bytes, both must deliver the same events in the same reads, fail on the same read, and end
/// with the same final event.
@Suite("SSE parser: differential against the byte-by-byte parser", .timeLimit(.minutes(5)))
struct SSEParserDifferentialTests {
    /// What a parser made of one stream cut into reads.
    struct Run: Equatable {
        /// The events completed by each read, in order.
        var eventsPerRead: [[SSEEvent]] = []
        /// The read that threw ``SSEParser/LineTooLong``, if one did.
        var failedRead: Int?
        /// What `finish()` returned, when no read failed.
        var final: SSEEvent?
    }

    /// The pieces streams are made of: field names with and without colon and space, values (UTF-8, NUL, a
    /// colon), comments, a byte order mark, and LF, CR and CRLF line ends (so also CR then LF in two pieces).
    static let tokens: [[UInt8]] = [
        "data", "data:", "data: ", "event:", "event: ", "id:", "id: ", "retry: 3000", "data:data: x", ":", ": ping",
        "x", "hello", "{\"a\":1}", "é😀", " ", "  ", "dat", "a", "Data:", "\u{0}", "\u{FEFF}", "\u{FEFF}data: bom",
        "\n", "\n", "\n", "\r", "\r\n", "\r\n", "\n\n", "\r\r", "\n\r",
    ].map { Array($0.utf8) }

    static func stream(_ random: inout RoutingTestRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 0..<120, using: &random) {
            if Int.random(in: 0..<40, using: &random) == 0 {
                // A long value, to cross the small limits.
                bytes += Array("data: ".utf8) + Array(repeating: UInt8(ascii: "y"), count: Int.random(in: 1..<80, using: &random))
            } else {
                bytes += tokens[Int.random(in: 0..<tokens.count, using: &random)]
            }
        }
        return bytes
    }

    /// Sorted cut positions: anywhere, including 0 and the end (empty reads), and often every byte.
    static func cuts(_ count: Int, _ random: inout RoutingTestRandom) -> [Int] {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return []
        case 1: return Array(0...count)
        default: return (0..<Int.random(in: 1..<12, using: &random)).map { _ in Int.random(in: 0...count, using: &random) }.sorted()
        }
    }

    static func reads(_ bytes: [UInt8], cuts: [Int]) -> [ArraySlice<UInt8>] {
        var reads: [ArraySlice<UInt8>] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            reads.append(bytes[start..<cut])
            start = cut
        }
        return reads
    }

    enum Feed { case rawBuffer, contiguousSequence, otherSequence }

    static func run(_ reads: [ArraySlice<UInt8>], limits: (line: Int, event: Int), feed: Feed) -> Run {
        var parser = SSEParser(maxLineLength: limits.line, maxEventLength: limits.event)
        var run = Run()
        for (index, read) in reads.enumerated() {
            var events: [SSEEvent] = []
            do {
                switch feed {
                case .rawBuffer: try read.withUnsafeBytes { bytes in try parser.parse(bytes) { events.append($0) } }
                case .contiguousSequence: try parser.parse(read) { events.append($0) }
                case .otherSequence: try parser.parse(read.lazy.map { $0 }) { events.append($0) }
                }
            } catch {
                run.eventsPerRead.append(events)
                run.failedRead = index
                return run
            }
            run.eventsPerRead.append(events)
        }
        run.final = parser.finish()
        return run
    }

    static func reference(_ reads: [ArraySlice<UInt8>], limits: (line: Int, event: Int)) -> Run {
        var parser = ByteWiseSSEParser(maxLineLength: limits.line, maxEventLength: limits.event)
        var run = Run()
        for (index, read) in reads.enumerated() {
            var events: [SSEEvent] = []
            do {
                try parser.parse(read) { events.append($0) }
            } catch {
                run.eventsPerRead.append(events)
                run.failedRead = index
                return run
            }
            run.eventsPerRead.append(events)
        }
        run.final = parser.finish()
        return run
    }

    @Test("4,000 generated streams in random reads: the same events per read, failing read and final event as the byte-by-byte parser, fed as raw buffer, slice or lazy sequence")
    func sameAsByteWiseParser() {
        var random = RoutingTestRandom(seed: 0x55E_D1FF)
        var failures = 0
        var events = 0
        for round in 0..<4_000 {
            let bytes = Self.stream(&random)
            let reads = Self.reads(bytes, cuts: Self.cuts(bytes.count, &random))
            // Small limits on a third of the streams, so that both limits are reached at varied places.
            let limits = round % 3 == 0 ? (line: Int.random(in: 1..<40, using: &random), event: Int.random(in: 1..<60, using: &random))
                : (line: SSEParser.defaultMaxLineLength, event: SSEParser.defaultMaxEventLength)
            let expected = Self.reference(reads, limits: limits)
            for feed in [Feed.rawBuffer, .contiguousSequence, .otherSequence] {
                let actual = Self.run(reads, limits: limits, feed: feed)
                #expect(actual == expected, "stream \(Array(bytes)) cut at \(reads.map(\.count)), limits \(limits), \(feed)")
                if actual != expected { return }
            }
            if expected.failedRead != nil { failures += 1 }
            events += expected.eventsPerRead.joined().count + (expected.final == nil ? 0 : 1)
        }
        // The generator must reach both outcomes often, or the comparison proves little.
        #expect(failures > 500)
        #expect(events > 3_000)
    }

    @Test("a frame cut into three reads at every pair of bytes gives the byte-by-byte parser's events")
    func everyThreeWaySplit() {
        let frame = Array("event: delta\r\nid: 9\rdata: {\"t\":\"é\"}\r\n: c\ndata:2\r\r\ndata: [DONE]\n\n".utf8)
        for first in 0...frame.count {
            for second in first...frame.count {
                let reads = Self.reads(frame, cuts: [first, second])
                let limits = (line: SSEParser.defaultMaxLineLength, event: SSEParser.defaultMaxEventLength)
                #expect(Self.run(reads, limits: limits, feed: .rawBuffer) == Self.reference(reads, limits: limits), "cuts \(first), \(second)")
            }
        }
    }

    @Test("a byte order mark is kept, as before: a stream that starts with one loses its first field")
    func byteOrderMarkNotStripped() throws {
        var parser = SSEParser()
        let events = try parser.parse(Array("\u{FEFF}event: x\ndata: a\n\n".utf8))
        #expect(events == [SSEEvent(type: nil, data: Array("a".utf8))])
    }
}
