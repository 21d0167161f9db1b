/// Somewhere JSON text can be written: a byte buffer of the caller's (NIO's `ByteBuffer` in the wire layer, an
/// array in the simulator and tests).
///
/// Writing JSON by hand is for the few documents built on a hot path (the non-streaming answer, the upstream
/// request, error bodies): no intermediate tree, no dynamic casts, one buffer. The writing methods are
/// `@inlinable` so that each output type gets its own specialized copy.
public protocol JSONOutput {
    /// Appends raw bytes.
    mutating func writeJSONBytes(_ bytes: UnsafeRawBufferPointer)
}

extension JSONOutput {
    /// Appends literal text that is already JSON (punctuation, keys, `null`).
    @inlinable
    public mutating func writeJSONText(_ text: StaticString) {
        text.withUTF8Buffer { writeJSONBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `string` as a JSON string literal (RFC 8259): quotes and backslashes escaped, control characters as
    /// `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`; everything else, `/` and non-ASCII included, as its UTF-8.
    /// Returns the number of bytes written.
    @inlinable
    @discardableResult
    public mutating func writeJSONString(_ string: String) -> Int {
        var string = string
        return string.withUTF8 { writeJSONString(utf8: $0) }
    }

    /// Writes UTF-8 text as a JSON string literal (see ``writeJSONString(_:)``).
    @inlinable
    @discardableResult
    public mutating func writeJSONString(utf8 text: UnsafeBufferPointer<UInt8>) -> Int {
        var written = 2
        writeJSONText("\"")
        var runStart = 0
        var index = 0
        while index < text.count {
            let byte = text[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index &+= 1
                continue
            }
            if runStart < index {
                writeJSONBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[runStart..<index])))
                written &+= index &- runStart
            }
            written &+= writeJSONEscape(for: byte)
            index &+= 1
            runStart = index
        }
        if runStart < text.count {
            writeJSONBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[runStart..<text.count])))
            written &+= text.count &- runStart
        }
        writeJSONText("\"")
        return written
    }

    /// Writes `value` in decimal. Returns the number of bytes written.
    @inlinable
    @discardableResult
    public mutating func writeJSONInteger(_ value: Int) -> Int {
        // Twenty digits and a sign cover Int64.min; written backwards into a stack tuple.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw in
            var position = raw.count
            var magnitude = value.magnitude
            repeat {
                position &-= 1
                raw[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                position &-= 1
                raw[position] = UInt8(ascii: "-")
            }
            writeJSONBytes(UnsafeRawBufferPointer(rebasing: raw[position...]))
            return raw.count &- position
        }
    }

    /// Writes the escape of one byte that may not appear raw in a string; returns its length.
    @inlinable
    mutating func writeJSONEscape(for byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "\""): writeJSONText("\\\"")
        case UInt8(ascii: "\\"): writeJSONText("\\\\")
        case 0x0A: writeJSONText("\\n")
        case 0x0D: writeJSONText("\\r")
        case 0x09: writeJSONText("\\t")
        case 0x08: writeJSONText("\\b")
        case 0x0C: writeJSONText("\\f")
        default:
            let hex: StaticString = "0123456789abcdef"
            var escape: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x5C, 0x75, 0x30, 0x30, 0, 0)  // \u00..
            hex.withUTF8Buffer { digits in
                escape.4 = digits[Int(byte >> 4)]
                escape.5 = digits[Int(byte & 0x0F)]
            }
            withUnsafeBytes(of: &escape) { writeJSONBytes($0) }
            return 6
        }
        return 2
    }
}

extension Array: JSONOutput where Element == UInt8 {
    /// Appends raw bytes.
    @inlinable
    public mutating func writeJSONBytes(_ bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }
}
