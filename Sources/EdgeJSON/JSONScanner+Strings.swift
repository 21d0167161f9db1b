extension JSONScanner {
    /// A string's place in the input, validated but not decoded: the `String` (and its allocation) is made only if
    /// the caller needs it.
    public struct StringSpan: Sendable, Equatable {
        /// Offset of the first byte after the opening quote.
        public var start: Int
        /// Offset of the closing quote.
        public var end: Int
        /// Whether the raw text contains escapes, so that it differs from the decoded text.
        public var hasEscapes: Bool

        /// Whether the decoded string is empty (every escape decodes to at least one byte).
        public var isEmpty: Bool { start == end }
    }

    /// An object member's key, compared without decoding when it has no escapes.
    public struct Key {
        public let span: StringSpan
        public let bytes: UnsafeBufferPointer<UInt8>

        /// Whether the key, decoded, is `name`.
        ///
        /// Inlinable, as `~=` is: a dialect's `switch` over a key tries every case in turn, and from another module
        /// each try would otherwise be a call that cannot see the literal's length.
        @inlinable
        public func matches(_ name: StaticString) -> Bool {
            name.withUTF8Buffer { expected in
                guard span.hasEscapes else {
                    guard expected.count == span.end &- span.start else { return false }
                    var index = 0
                    while index < expected.count {
                        if expected[index] != bytes[span.start &+ index] { return false }
                        index &+= 1
                    }
                    return true
                }
                return JSONScanner.decode(span, in: bytes).utf8.elementsEqual(expected)
            }
        }

        /// The key, decoded.
        public var string: String { JSONScanner.decode(span, in: bytes) }

        /// Lets a `switch` over a key use string literals as patterns.
        @inlinable
        public static func ~= (name: StaticString, key: Key) -> Bool {
            key.matches(name)
        }
    }

    /// Reads a string value.
    public mutating func readString() throws(Failure) -> String {
        string(try readStringSpan())
    }

    /// Reads a string value, or `null` as nil.
    public mutating func readNullableString() throws(Failure) -> String? {
        if try consumeNull() { return nil }
        return string(try readStringSpan())
    }

    /// Validates a string value and returns where it is, decoding nothing.
    public mutating func readStringSpan() throws(Failure) -> StringSpan {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw mismatch("a string") }
        advance(to: offset &+ 1)
        return try scanString()
    }

    /// Like ``readStringSpan()``, with `null` as nil.
    public mutating func readNullableStringSpan() throws(Failure) -> StringSpan? {
        if try consumeNull() { return nil }
        return try readStringSpan()
    }

    /// The decoded text of a span this scanner returned.
    public func string(_ span: StringSpan) -> String {
        Self.decode(span, in: bytes)
    }

    /// Validates the rest of a string whose opening quote has been consumed, and consumes its closing quote.
    public mutating func scanString() throws(Failure) -> StringSpan {
        let start = offset
        let count = bytes.count
        guard let base = bytes.baseAddress else { throw syntax("the end of the string") }
        var index = start
        var hasEscapes = false
        while true {
            // Eight bytes at a time through plain ASCII text, the common case.
            while index &+ 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if Self.needsAttention(word) { break }
                index &+= 8
            }
            guard index < count else {
                advance(to: index)
                throw syntax("the end of the string")
            }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                advance(to: index &+ 1)
                return StringSpan(start: start, end: index, hasEscapes: hasEscapes)
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                index = try scanEscape(at: index &+ 1)
            } else if byte < 0x20 {
                advance(to: index)
                throw syntax("an escaped control character")
            } else if byte < 0x80 {
                index &+= 1
            } else {
                index = try scanUTF8(at: index)
            }
        }
    }

    /// Whether any of the eight bytes is a quote, a backslash, a control character or not ASCII.
    @inline(__always)
    private static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        // (x - 0x01..) & ~x has a high bit set exactly when some byte of x is zero (below 0x20 for the third).
        let hasQuote = (quotes &- ones) & ~quotes
        let hasBackslash = (backslashes &- ones) & ~backslashes
        let hasControl = (word &- ones &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & high != 0
    }

    /// Validates the escape after a backslash at `index - 1`; returns the offset after it.
    private mutating func scanEscape(at index: Int) throws(Failure) -> Int {
        guard index < bytes.count else {
            advance(to: index)
            throw syntax("an escape")
        }
        switch bytes[index] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index &+ 1
        case UInt8(ascii: "u"):
            let unit = try hex4(at: index &+ 1)
            if (0xD800..<0xDC00).contains(unit) {
                // A high surrogate must be followed by an escaped low one; together they make one scalar.
                let next = index &+ 5
                guard next &+ 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next &+ 1] == UInt8(ascii: "u") else {
                    advance(to: next)
                    throw syntax("a low surrogate escape")
                }
                let low = try hex4(at: next &+ 2)
                guard (0xDC00..<0xE000).contains(low) else {
                    advance(to: next)
                    throw syntax("a low surrogate escape")
                }
                return next &+ 6
            }
            guard !(0xDC00..<0xE000).contains(unit) else {
                advance(to: index &- 1)
                throw syntax("a high surrogate before a low one")
            }
            return index &+ 5
        default:
            advance(to: index)
            throw syntax("a valid escape")
        }
    }

    private mutating func hex4(at index: Int) throws(Failure) -> UInt32 {
        guard index &+ 4 <= bytes.count, let value = Self.hexValue(bytes, at: index) else {
            // The error points at the first byte that is not a hex digit (or the end), as other errors point at
            // the byte at fault.
            var position = index
            while position < bytes.count, position &- index < 4, Self.isHexDigit(bytes[position]) { position &+= 1 }
            advance(to: position)
            throw syntax("four hex digits")
        }
        return value
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default:
            false
        }
    }

    /// The value of the four hex digits at `index` (which must be in range), or nil if they are not all hex.
    private static func hexValue(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32? {
        var value: UInt32 = 0
        for position in index..<(index &+ 4) {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Validates the UTF-8 sequence whose lead byte (not ASCII) is at `index`; returns the offset after it.
    /// Overlong forms, surrogates and scalars past U+10FFFF are rejected (RFC 3629).
    private mutating func scanUTF8(at index: Int) throws(Failure) -> Int {
        let lead = bytes[index]
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        let continuations: Int
        switch lead {
        case 0xC2...0xDF: continuations = 1
        case 0xE0: continuations = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: continuations = 2
        case 0xED: continuations = 2; upper = 0x9F
        case 0xF0: continuations = 3; lower = 0x90
        case 0xF1...0xF3: continuations = 3
        case 0xF4: continuations = 3; upper = 0x8F
        default:
            advance(to: index)
            throw syntax("valid UTF-8")
        }
        guard index &+ continuations < bytes.count else {
            advance(to: index)
            throw syntax("valid UTF-8")
        }
        let second = bytes[index &+ 1]
        var valid = second >= lower && second <= upper
        var position = index &+ 2
        while valid, position <= index &+ continuations {
            valid = bytes[position] & 0xC0 == 0x80
            position &+= 1
        }
        guard valid else {
            advance(to: index)
            throw syntax("valid UTF-8")
        }
        return index &+ 1 &+ continuations
    }

    /// The decoded text of a validated span.
    public static func decode(_ span: StringSpan, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[span.start..<span.end])
        guard span.hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        // Escapes only shrink (`\n` is two bytes for one, a `\u` escape six for at most three), so the raw length is
        // enough room.
        return String(unsafeUninitializedCapacity: raw.count) { output in
            var index = 0
            var written = 0
            while index < raw.count {
                let byte = raw[index]
                guard byte == UInt8(ascii: "\\"), index &+ 1 < raw.count else {
                    output[written] = byte
                    written &+= 1
                    index &+= 1
                    continue
                }
                let escape = raw[index &+ 1]
                index &+= 2
                switch escape {
                case UInt8(ascii: "b"): output[written] = 0x08
                case UInt8(ascii: "f"): output[written] = 0x0C
                case UInt8(ascii: "n"): output[written] = 0x0A
                case UInt8(ascii: "r"): output[written] = 0x0D
                case UInt8(ascii: "t"): output[written] = 0x09
                case UInt8(ascii: "u"):
                    var scalar = index &+ 4 <= raw.count ? hexValue(raw, at: index) ?? 0xFFFD : 0xFFFD
                    index &+= 4
                    if (0xD800..<0xDC00).contains(scalar), index &+ 6 <= raw.count,
                        let low = hexValue(raw, at: index &+ 2), (0xDC00..<0xE000).contains(low)
                    {
                        scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                        index &+= 6
                    }
                    written &+= encodeUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", into: output, at: written)
                    continue
                default: output[written] = escape
                }
                written &+= 1
            }
            return written
        }
    }

    private static func encodeUTF8(_ scalar: Unicode.Scalar, into output: UnsafeMutableBufferPointer<UInt8>, at index: Int) -> Int {
        var written = 0
        UTF8.encode(scalar) { unit in
            output[index &+ written] = unit
            written &+= 1
        }
        return written
    }
}
