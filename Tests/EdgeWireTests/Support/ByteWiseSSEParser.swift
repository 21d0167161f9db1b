@testable import EdgeWire

/// The SSE parser as it was before it scanned whole reads (commit a754b60): it walks the input byte by byte and
/// appends every byte of a line to a line buffer. Kept here, in the test target only, as the reference that
/// ``SSEParserDifferentialTests`` compares the scanning parser with; its code is unchanged but for its name.
///
/// It is a plain state machine: feed it bytes as they arrive, in chunks split anywhere (inside a line, inside a
/// CRLF pair, inside a UTF-8 sequence), and it returns each event once its terminating blank line has been seen.
/// Lines may end in LF, CRLF or CR; lines starting with `:` are comments; `retry:` and unknown fields are ignored,
/// as the HTML specification requires. Only the bytes of the current, unfinished line are kept between calls.
struct ByteWiseSSEParser: Sendable {
    /// Lines longer than this are a protocol error rather than a memory sink.
    static let defaultMaxLineLength = 4 << 20
    /// Events whose data lines together are longer than this are a protocol error too: many short `data:` lines
    /// with no blank line would otherwise grow one event without bound.
    static let defaultMaxEventLength = 4 << 20

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: String?
    private var eventID: String?
    /// A CR ended the previous chunk: an LF at the start of the next one belongs to it.
    private var pendingCR = false
    private let maxLineLength: Int
    private let maxEventLength: Int

    /// The parser saw a line, or an event, longer than its limit.
    struct LineTooLong: Error, Sendable {}

    init(maxLineLength: Int = SSEParser.defaultMaxLineLength, maxEventLength: Int = SSEParser.defaultMaxEventLength) {
        self.maxLineLength = maxLineLength
        self.maxEventLength = maxEventLength
        line.reserveCapacity(256)
    }

    /// Parses `bytes` and calls `onEvent` for every event completed by them.
    mutating func parse<Bytes: Sequence>(
        _ bytes: Bytes,
        onEvent: (SSEEvent) throws -> Void
    ) throws where Bytes.Element == UInt8 {
        try scan(bytes, onEvent: onEvent)
    }

    /// Parses the readable bytes of a buffer, as the upstream path does. Not generic, so that callers in other
    /// modules (the benchmarks) run the code specialised here rather than the generic one.
    mutating func parse(_ bytes: UnsafeRawBufferPointer, onEvent: (SSEEvent) throws -> Void) throws {
        try scan(bytes, onEvent: onEvent)
    }

    @inline(__always)
    private mutating func scan<Bytes: Sequence>(
        _ bytes: Bytes,
        onEvent: (SSEEvent) throws -> Void
    ) throws where Bytes.Element == UInt8 {
        for byte in bytes {
            if pendingCR {
                pendingCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                if let event = try endLine() { try onEvent(event) }
            case UInt8(ascii: "\r"):
                pendingCR = true
                if let event = try endLine() { try onEvent(event) }
            default:
                guard line.count < maxLineLength else { throw LineTooLong() }
                line.append(byte)
            }
        }
    }

    /// Parses `bytes` and returns the events they complete (convenience for tests and small inputs).
    mutating func parse<Bytes: Sequence>(_ bytes: Bytes) throws -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        try parse(bytes) { events.append($0) }
        return events
    }

    /// Ends the stream: a final event not followed by a blank line is dispatched, as browsers do not, but as
    /// LLM providers that close the connection right after their last `data:` line expect.
    /// An event past the event limit at the end is dropped.
    mutating func finish() -> SSEEvent? {
        if !line.isEmpty {
            do { _ = try endLine() } catch { return nil }
        }
        return dispatch()
    }

    private mutating func endLine() throws(LineTooLong) -> SSEEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        if line[0] == UInt8(ascii: ":") { return nil }

        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let nameEnd = colon ?? line.endIndex
        var valueStart = colon.map { line.index(after: $0) } ?? line.endIndex
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let name = line[line.startIndex..<nameEnd]
        let value = line[valueStart...]

        if name.elementsEqual("data".utf8) {
            guard data.count + value.count < maxEventLength else { throw LineTooLong() }
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.elementsEqual("event".utf8) {
            eventType = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            // An id containing NUL is ignored, as the specification says.
            if !value.contains(0) { eventID = String(decoding: value, as: UTF8.self) }
        }
        return nil
    }

    private mutating func dispatch() -> SSEEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType = nil
        }
        guard hasData else { return nil }
        return SSEEvent(type: eventType, data: data, id: eventID)
    }
}
