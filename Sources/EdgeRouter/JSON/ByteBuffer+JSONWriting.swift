import NIOCore

/// Writing JSON by hand, for the few documents the router builds on its hot path (the non-streaming answer, the
/// upstream request): no intermediate tree, no dynamic casts, one buffer.
extension ByteBuffer {
    /// Writes `string` as a JSON string literal (RFC 8259): quotes and backslashes escaped, control characters as
    /// `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`; everything else, `/` and non-ASCII included, as its UTF-8.
    @discardableResult
    mutating func writeJSONString(_ string: String) -> Int {
        var string = string
        return string.withUTF8 { writeJSONString(utf8: $0) }
    }

    /// Writes UTF-8 text as a JSON string literal (see ``writeJSONString(_:)``).
    @discardableResult
    mutating func writeJSONString(utf8 text: UnsafeBufferPointer<UInt8>) -> Int {
        let before = writerIndex
        writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        while index < text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index &+= 1
                continue
            }
            if runStart < index { writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[runStart..<index]))) }
            writeEscape(for: byte)
            index &+= 1
            runStart = index
        }
        if runStart < text.count { writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[runStart..<text.count]))) }
        writeInteger(UInt8(ascii: "\""))
        return writerIndex &- before
    }

    /// Writes `value` in decimal.
    @discardableResult
    mutating func writeJSONInteger(_ value: Int) -> Int {
        // Twenty digits and a sign cover Int64.min; written backwards into a stack tuple.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw in
            var position = raw.count
            var magnitude = value.magnitude
            repeat {
                position &-= 1
                raw[position] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                position &-= 1
                raw[position] = UInt8(ascii: "-")
            }
            return writeBytes(UnsafeRawBufferPointer(rebasing: raw[position...]))
        }
    }

    private mutating func writeEscape(for byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): writeStaticString("\\\"")
        case UInt8(ascii: "\\"): writeStaticString("\\\\")
        case 0x0A: writeStaticString("\\n")
        case 0x0D: writeStaticString("\\r")
        case 0x09: writeStaticString("\\t")
        case 0x08: writeStaticString("\\b")
        case 0x0C: writeStaticString("\\f")
        default:
            let hex: StaticString = "0123456789abcdef"
            writeStaticString("\\u00")
            hex.withUTF8Buffer { digits in
                writeInteger(digits[Int(byte >> 4)])
                writeInteger(digits[Int(byte & 0x0F)])
            }
        }
    }
}
