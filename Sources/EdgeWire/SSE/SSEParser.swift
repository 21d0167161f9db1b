import EdgeJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental parser for `text/event-stream` bodies.
///
/// It is a plain state machine: feed it bytes as they arrive, in chunks split anywhere (inside a line, inside a
/// CRLF pair, inside a UTF-8 sequence), and it returns each event once its terminating blank line has been seen.
/// Lines may end in LF, CRLF or CR; lines starting with `:` are comments; `retry:` and unknown fields are ignored,
/// as the HTML specification requires. A byte order mark is not stripped: a stream starting with one has an
/// unknown first field. Only the bytes of the current, unfinished line are kept between calls.
///
/// A read is scanned whole, not byte by byte: `memchr` finds each line end, a line that lies within the read is
/// read where it is (its field and value are slices of the read, a `data` value is appended to the event in one
/// copy), and only a line cut by the end of a read is copied, to be completed by the next.
public struct SSEParser: Sendable {
    /// Lines longer than this are a protocol error rather than a memory sink.
    public static let defaultMaxLineLength = 4 << 20
    /// Events whose data lines together are longer than this are a protocol error too: many short `data:` lines
    /// with no blank line would otherwise grow one event without bound.
    public static let defaultMaxEventLength = 4 << 20

    /// The start of a line that the previous read cut off.
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
    public struct LineTooLong: Error, Sendable {}

    public init(maxLineLength: Int = SSEParser.defaultMaxLineLength, maxEventLength: Int = SSEParser.defaultMaxEventLength) {
        self.maxLineLength = maxLineLength
        self.maxEventLength = maxEventLength
        line.reserveCapacity(256)
    }

    /// Parses `bytes` and calls `onEvent` for every event completed by them. Contiguous bytes (an array, a slice,
    /// a `ByteBuffer`'s view) are scanned in place; any other sequence is copied first.
    public mutating func parse<Bytes: Sequence>(
        _ bytes: Bytes,
        onEvent: (SSEEvent) throws -> Void
    ) throws where Bytes.Element == UInt8 {
        let scanned = try bytes.withContiguousStorageIfAvailable { buffer in
            try scan(UnsafeRawBufferPointer(buffer), onEvent: onEvent)
        }
        if scanned == nil {
            try Array(bytes).withUnsafeBytes { try scan($0, onEvent: onEvent) }
        }
    }

    /// Parses the readable bytes of a buffer, as the upstream path does. Not generic, so that callers in other
    /// modules (the benchmarks) run the code specialised here rather than the generic one.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer, onEvent: (SSEEvent) throws -> Void) throws {
        try scan(bytes, onEvent: onEvent)
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer, onEvent: (SSEEvent) throws -> Void) throws {
        let end = bytes.count
        guard end > 0 else { return }
        var start = 0
        if pendingCR {
            pendingCR = false
            if bytes[0] == Self.lf { start = 1 }
        }
        // The next LF and the next CR at or after `start` (`end` when there is none), each searched again only
        // once passed: a stream that never uses CR costs one search for it per read.
        var nextLF = -1
        var nextCR = -1
        while start < end {
            if nextLF < start { nextLF = Self.find(Self.lf, in: bytes, from: start) }
            if nextCR < start { nextCR = Self.find(Self.cr, in: bytes, from: start) }
            let lineEnd = min(nextLF, nextCR)
            let content = UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd])
            guard line.count + content.count <= maxLineLength else { throw LineTooLong() }
            guard lineEnd < end else {
                // A line cut by the end of the read: kept for the next one.
                Self.append(content, to: &line)
                return
            }
            let event: SSEEvent?
            if line.isEmpty {
                event = try endLine(content)
            } else {
                // Taken out of `self` while it is read, so that `endLine` may mutate the rest.
                var carried: [UInt8] = []
                swap(&carried, &line)
                Self.append(content, to: &carried)
                event = try carried.withUnsafeBytes { try endLine($0) }
                carried.removeAll(keepingCapacity: true)
                swap(&carried, &line)
            }
            start = lineEnd + 1
            if bytes[lineEnd] == Self.cr {
                if start == end {
                    pendingCR = true
                } else if bytes[start] == Self.lf {
                    start += 1
                }
            }
            if let event { try onEvent(event) }
        }
    }

    /// Parses `bytes` and returns the events they complete (convenience for tests and small inputs).
    public mutating func parse<Bytes: Sequence>(_ bytes: Bytes) throws -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        try parse(bytes) { events.append($0) }
        return events
    }

    /// Ends the stream: a final event not followed by a blank line is dispatched, as browsers do not, but as
    /// LLM providers that close the connection right after their last `data:` line expect.
    /// An event past the event limit at the end is dropped.
    public mutating func finish() -> SSEEvent? {
        if !line.isEmpty {
            var carried: [UInt8] = []
            swap(&carried, &line)
            defer {
                carried.removeAll(keepingCapacity: true)
                swap(&carried, &line)
            }
            do { _ = try carried.withUnsafeBytes { try endLine($0) } } catch { return nil }
        }
        return dispatch()
    }

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let colon = UInt8(ascii: ":")

    /// The position of the first `byte` in `bytes` at or after `start`, or `bytes.count` when there is none.
    @inline(__always)
    private static func find(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let base = bytes.baseAddress, start < bytes.count,
            let hit = memchr(base + start, Int32(byte), bytes.count - start)
        else { return bytes.count }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    /// Appends `bytes` in one copy (a typed buffer takes the array's contiguous fast path).
    @inline(__always)
    private static func append(_ bytes: UnsafeRawBufferPointer, to array: inout [UInt8]) {
        bytes.withMemoryRebound(to: UInt8.self) { array.append(contentsOf: $0) }
    }

    /// Whether `bytes` are exactly the ASCII `name`.
    @inline(__always)
    private static func isField(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        return name.withUTF8Buffer { expected in expected.elementsEqual(bytes) }
    }

    /// One complete line, without its line end: a field of the event being assembled, a comment, or (empty) the
    /// end of the event.
    private mutating func endLine(_ line: UnsafeRawBufferPointer) throws(LineTooLong) -> SSEEvent? {
        if line.isEmpty { return dispatch() }
        if line[0] == Self.colon { return nil }

        let nameEnd = Self.find(Self.colon, in: line, from: 0)
        var valueStart = nameEnd < line.count ? nameEnd + 1 : line.count
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let name = UnsafeRawBufferPointer(rebasing: line[..<nameEnd])
        let value = UnsafeRawBufferPointer(rebasing: line[valueStart...])

        if Self.isField(name, "data") {
            guard data.count + value.count < maxEventLength else { throw LineTooLong() }
            if hasData { data.append(Self.lf) }
            Self.append(value, to: &data)
            hasData = true
        } else if Self.isField(name, "event") {
            eventType = String(decoding: value, as: UTF8.self)
        } else if Self.isField(name, "id") {
            // An id containing NUL is ignored, as the specification says.
            if Self.find(0, in: value, from: 0) == value.count { eventID = String(decoding: value, as: UTF8.self) }
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
