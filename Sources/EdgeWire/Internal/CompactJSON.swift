import NIOCore

extension ByteBuffer {
    /// Writes a JSON value taken raw from a client's body without the whitespace between its tokens: an echoed
    /// value goes into one SSE `data:` line, where a newline from the client's formatting would end the event.
    mutating func writeCompactJSON(_ bytes: [UInt8]) {
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                continue
            }
            writeInteger(byte)
        }
    }
}
