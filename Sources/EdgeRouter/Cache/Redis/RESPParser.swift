import NIOCore

/// Reads RESP2 replies from the bytes a Redis connection received: outside input, so it is bounded (bulk strings
/// up to ``maxBulkBytes``, arrays up to ``maxArrayCount`` elements and ``maxDepth`` levels, lines up to
/// ``maxLineBytes``) and never traps; it is fuzzed (`Fuzz/Sources/FuzzRESP`).
///
/// A reply is consumed only once it is whole: ``next(from:)`` leaves the buffer as it was and returns nil when
/// more bytes are needed. A bulk string's body is skipped by its length while the reply is incomplete, so a large
/// value arriving in many reads costs a look at its header per read, not a re-scan of its bytes.
public struct RESPParser: Sendable {
    public static let maxBulkBytes = 512 << 20
    public static let maxArrayCount = 1 << 16
    public static let maxDepth = 8
    public static let maxLineBytes = 64 << 10

    public init() {}

    /// The next whole reply in `buffer`, consumed; nil when it is not all there yet. A reply that is not RESP2 (or
    /// past a bound) throws ``EdgeRouterError/Code/sharedCacheFailed`` ("malformed reply: …"): the connection can no
    /// longer be read and must be closed.
    public func next(from buffer: inout ByteBuffer) throws(EdgeRouterError) -> RESPValue? {
        var offset = buffer.readerIndex
        guard let value = try parse(buffer, at: &offset, depth: 0) else { return nil }
        buffer.moveReaderIndex(to: offset)
        return value
    }

    private func parse(_ buffer: ByteBuffer, at offset: inout Int, depth: Int) throws(EdgeRouterError) -> RESPValue? {
        guard depth <= Self.maxDepth else { throw EdgeRouterError.redisMalformed("nested deeper than \(Self.maxDepth)") }
        guard let kind = buffer.getInteger(at: offset, as: UInt8.self) else { return nil }
        var cursor = offset + 1
        guard let line = try self.line(buffer, at: &cursor) else { return nil }
        switch kind {
        case UInt8(ascii: "+"):
            offset = cursor
            return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"):
            offset = cursor
            return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            offset = cursor
            return .integer(try Self.integer(line))
        case UInt8(ascii: "$"):
            let length = try Self.integer(line)
            if length == -1 {
                offset = cursor
                return .bulkString(nil)
            }
            guard length >= 0, length <= Self.maxBulkBytes else { throw EdgeRouterError.redisMalformed("bulk string length \(length)") }
            let (end, overflow) = cursor.addingReportingOverflow(length)
            guard !overflow else { throw EdgeRouterError.redisMalformed("bulk string length \(length)") }
            guard buffer.writerIndex - end >= 2 else { return nil }
            guard buffer.getInteger(at: end, as: UInt8.self) == UInt8(ascii: "\r"),
                buffer.getInteger(at: end + 1, as: UInt8.self) == UInt8(ascii: "\n")
            else { throw EdgeRouterError.redisMalformed("bulk string not ended by CRLF") }
            guard let bytes = buffer.getBytes(at: cursor, length: length) else { return nil }
            offset = end + 2
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            let count = try Self.integer(line)
            if count == -1 {
                offset = cursor
                return .array(nil)
            }
            guard count >= 0, count <= Self.maxArrayCount else { throw EdgeRouterError.redisMalformed("array of \(count) elements") }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(count, 64))
            for _ in 0..<count {
                guard let element = try parse(buffer, at: &cursor, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            offset = cursor
            return .array(elements)
        default:
            throw EdgeRouterError.redisMalformed("unknown reply type \(kind)")
        }
    }

    /// The bytes up to the next CRLF (cursor moved past it); nil when the line is not all there.
    private func line(_ buffer: ByteBuffer, at cursor: inout Int) throws(EdgeRouterError) -> [UInt8]? {
        let start = cursor
        let available = buffer.writerIndex - start
        guard available > 0 else { return nil }
        let limit = min(available, Self.maxLineBytes + 2)
        guard let view = buffer.viewBytes(at: start, length: limit) else { return nil }
        guard let carriage = view.firstIndex(of: UInt8(ascii: "\r")) else {
            if available > Self.maxLineBytes { throw EdgeRouterError.redisMalformed("a line longer than \(Self.maxLineBytes) bytes") }
            return nil
        }
        let next = view.index(after: carriage)
        guard next < view.endIndex else { return nil }
        guard view[next] == UInt8(ascii: "\n") else { throw EdgeRouterError.redisMalformed("CR without LF") }
        cursor = next + 1
        return Array(view[view.startIndex..<carriage])
    }

    private static func integer(_ line: [UInt8]) throws(EdgeRouterError) -> Int {
        guard !line.isEmpty, line.count <= 20, let value = Int(String(decoding: line, as: UTF8.self)) else {
            throw EdgeRouterError.redisMalformed("not an integer")
        }
        return value
    }
}
