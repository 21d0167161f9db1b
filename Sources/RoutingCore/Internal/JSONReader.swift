/// A small strict JSON reader (RFC 8259) over UTF-8 bytes, for headers of a few hundred bytes.
///
/// Hand-rolled rather than Foundation's `JSONSerialization`: it keeps Foundation out of the router's core, it
/// tells a boolean from a number (Foundation's `NSNumber` lets `1` pass as `true`), and it lets the caller read
/// an object member by member so every error can name the field it is in. Nesting is capped so a hostile header
/// cannot exhaust the stack.
public struct JSONReader {
    /// A syntax error: where, and what was expected there.
    public struct SyntaxError: Error {
        /// Byte offset into the input.
        var offset: Int
        /// What was expected at that offset.
        var expected: String
    }

    /// Deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 16

    private let bytes: [UInt8]
    /// Offset of the next unread byte.
    private(set) var offset = 0

    /// A reader at the start of `text`.
    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Whether only whitespace is left.
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return offset == bytes.count
    }

    /// Consumes `byte` (after whitespace) if it is next; returns whether it was.
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// Consumes `byte` (after whitespace) or fails naming `description`.
    public mutating func expect(_ byte: UInt8, _ description: String) throws(SyntaxError) {
        guard consume(byte) else { throw SyntaxError(offset: offset, expected: description) }
    }

    /// Reads one value of any kind.
    public mutating func readValue(depth: Int = 0) throws(SyntaxError) -> JSONValue {
        skipWhitespace()
        guard offset < bytes.count else { throw SyntaxError(offset: offset, expected: "a value") }
        switch bytes[offset] {
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "{"):
            return try readObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try readArray(depth: depth + 1)
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try readNumber())
        default:
            throw SyntaxError(offset: offset, expected: "a value")
        }
    }

    /// Reads a string (the next byte, after whitespace, must be its opening quote).
    public mutating func readString() throws(SyntaxError) -> String {
        try expect(UInt8(ascii: "\""), "a string")
        var text: [UInt8] = []
        while true {
            guard offset < bytes.count else { throw SyntaxError(offset: offset, expected: "the end of the string") }
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape(into: &text)
            case 0..<0x20:
                throw SyntaxError(offset: offset - 1, expected: "an escaped control character")
            default:
                text.append(byte)
            }
        }
    }

    private mutating func readEscape(into text: inout [UInt8]) throws(SyntaxError) {
        guard offset < bytes.count else { throw SyntaxError(offset: offset, expected: "an escape") }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low one; together they make one scalar.
                let start = offset
                guard consumeRaw(UInt8(ascii: "\\")), consumeRaw(UInt8(ascii: "u")) else {
                    throw SyntaxError(offset: start, expected: "a low surrogate escape")
                }
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw SyntaxError(offset: start, expected: "a low surrogate escape")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw SyntaxError(offset: offset - 6, expected: "a high surrogate before a low one")
            }
            guard let unicode = Unicode.Scalar(scalar) else {
                throw SyntaxError(offset: offset - 6, expected: "a Unicode scalar")
            }
            text.append(contentsOf: String(Character(unicode)).utf8)
        default:
            throw SyntaxError(offset: offset - 1, expected: "a valid escape")
        }
    }

    private mutating func readHex4() throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard offset < bytes.count, let digit = Self.hexValue(bytes[offset]) else {
                throw SyntaxError(offset: offset, expected: "four hex digits")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func readNumber() throws(SyntaxError) -> Double {
        let start = offset
        _ = consumeRaw(UInt8(ascii: "-"))
        if consumeRaw(UInt8(ascii: "0")) {
            // No leading zeros: "01" is not JSON.
        } else {
            guard consumeDigits() else { throw SyntaxError(offset: offset, expected: "a digit") }
        }
        if consumeRaw(UInt8(ascii: ".")) {
            guard consumeDigits() else { throw SyntaxError(offset: offset, expected: "a digit after '.'") }
        }
        if consumeRaw(UInt8(ascii: "e")) || consumeRaw(UInt8(ascii: "E")) {
            if !consumeRaw(UInt8(ascii: "+")) { _ = consumeRaw(UInt8(ascii: "-")) }
            guard consumeDigits() else { throw SyntaxError(offset: offset, expected: "a digit in the exponent") }
        }
        guard let value = Double(String(decoding: bytes[start..<offset], as: UTF8.self)), value.isFinite else {
            throw SyntaxError(offset: start, expected: "a finite number")
        }
        return value
    }

    private mutating func readArray(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw SyntaxError(offset: offset, expected: "less nesting") }
        try expect(UInt8(ascii: "["), "an array")
        var elements: [JSONValue] = []
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        repeat {
            elements.append(try readValue(depth: depth))
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "',' or ']'")
        return .array(elements)
    }

    private mutating func readObject(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw SyntaxError(offset: offset, expected: "less nesting") }
        try expect(UInt8(ascii: "{"), "an object")
        var members: [(key: String, value: JSONValue)] = []
        if consume(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':'")
            members.append((key, try readValue(depth: depth)))
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}'")
        return .object(members)
    }

    private mutating func readLiteral(_ literal: StaticString) throws(SyntaxError) {
        let start = offset
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            offset + count <= bytes.count && zip(expected, bytes[offset..<(offset + count)]).allSatisfy { $0 == $1 }
        }
        guard matches else { throw SyntaxError(offset: start, expected: "a value") }
        offset += count
    }

    private mutating func consumeDigits() -> Bool {
        let start = offset
        while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) { offset += 1 }
        return offset > start
    }

    /// Consumes `byte` if it is next, without skipping whitespace (inside tokens).
    private mutating func consumeRaw(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): offset += 1
            default: return
            }
        }
    }
}
