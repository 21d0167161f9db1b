import NIOCore

/// HTTP/1.1 chunked framing written in place: a body buffer is started with room before its first byte for the
/// chunk's size line, so that a chunk (size line, data, CRLF) goes out as one buffer, with no copy and no buffer
/// of its own for the size line.
enum ChunkFraming {
    /// Room for the size line: up to 8 hexadecimal digits (chunks under 4 GiB) and CRLF.
    static let headroom = 10

    /// Starts an empty `buffer` with the room for its size line, before its readable bytes.
    static func reserve(in buffer: inout ByteBuffer) {
        buffer.clear()
        buffer.writeRepeatingByte(0, count: headroom)
        buffer.moveReaderIndex(forwardBy: headroom)
    }

    /// Frames the readable bytes of a buffer started by ``reserve(in:)`` as one chunk: the size line is written
    /// into the room before them and CRLF after them. Returns false, leaving the buffer as it was, when there is no
    /// such room or nothing to frame (an empty chunk would end the body).
    static func frame(_ buffer: inout ByteBuffer) -> Bool {
        let length = buffer.readableBytes
        guard length > 0, length <= 0xFFFF_FFFF else { return false }
        var digits = 1
        while length >> (4 * digits) > 0 { digits += 1 }
        let start = buffer.readerIndex - digits - 2
        guard start >= 0 else { return false }
        for position in 0..<digits {
            let nibble = UInt8(truncatingIfNeeded: length >> (4 * (digits - 1 - position))) & 0xF
            buffer.setInteger(Hex.digit(nibble), at: start + position)
        }
        buffer.setInteger(UInt16(0x0D0A), at: start + digits)
        buffer.moveReaderIndex(to: start)
        buffer.writeInteger(UInt16(0x0D0A))
        return true
    }
}
