/// Tells whether an OpenAI chat-completion chunk carries text: `choices[0].delta.content` is a non-empty string.
///
/// The role-only chunk (`"delta":{"role":"assistant","content":""}`), the finish chunk (`"delta":{}`), the
/// usage chunk (`"choices":[]`) and `"content":null` (as some proxies send) are not content. The check walks
/// the JSON bytes in place without allocating, because the load generator runs it on every frame of thousands
/// of concurrent streams; it reads only as far as it must and treats anything malformed as "no content".
public enum ContentDelta {
    /// Whether `json` (one SSE `data:` payload) is a chunk with a non-empty `choices[0].delta.content`.
    public static func hasContent(_ json: UnsafeRawBufferPointer) -> Bool {
        var scanner = JSONScanner(json)
        guard scanner.enterObject() else { return false }
        while let key = scanner.nextKey() {
            if scanner.keyEquals(key, "choices") {
                guard scanner.enterArray() else { return false }
                return firstChoiceHasContent(&scanner)
            }
            guard scanner.skipValue() else { return false }
        }
        return false
    }

    /// Convenience for tests and callers holding bytes in an array.
    public static func hasContent(_ json: some Collection<UInt8>) -> Bool {
        Array(json).withUnsafeBytes { hasContent($0) }
    }

    private static func firstChoiceHasContent(_ scanner: inout JSONScanner) -> Bool {
        guard scanner.enterObject() else { return false }
        while let key = scanner.nextKey() {
            if scanner.keyEquals(key, "delta") {
                return deltaHasContent(&scanner)
            }
            guard scanner.skipValue() else { return false }
        }
        return false
    }

    private static func deltaHasContent(_ scanner: inout JSONScanner) -> Bool {
        guard scanner.enterObject() else { return false }
        while let key = scanner.nextKey() {
            if scanner.keyEquals(key, "content") {
                return scanner.atNonEmptyString()
            }
            guard scanner.skipValue() else { return false }
        }
        return false
    }
}

/// A forward-only cursor over JSON bytes that can enter objects and arrays, read keys and skip values.
///
/// It validates only what it needs to move on; it is not a general JSON parser.
struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    /// Whether the object being walked has produced its first key (so the next one needs a comma).
    private var afterFirstKey = false

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Steps into an object at the cursor; its keys follow with ``nextKey()``.
    mutating func enterObject() -> Bool {
        afterFirstKey = false
        return consume(Self.openBrace)
    }

    /// Steps into an array at the cursor and stops before its first element (false when it is empty).
    mutating func enterArray() -> Bool {
        guard consume(Self.openBracket) else { return false }
        skipWhitespace()
        return index < bytes.count && bytes[index] != Self.closeBracket
    }

    /// The next key of the object being walked (the range of its bytes, without quotes), with the cursor on
    /// its value; nil at the end of the object or on malformed input.
    mutating func nextKey() -> Range<Int>? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        if afterFirstKey {
            guard bytes[index] == Self.comma else { return nil }
            index += 1
            skipWhitespace()
        }
        guard index < bytes.count, bytes[index] == Self.quote else { return nil }
        let start = index + 1
        guard skipString() else { return nil }
        let key = start..<(index - 1)
        guard consume(Self.colon) else { return nil }
        skipWhitespace()
        afterFirstKey = true
        return key
    }

    /// Whether a key's bytes spell `name` (keys with escapes never match, which is fine for the keys we seek).
    func keyEquals(_ key: Range<Int>, _ name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for offset in 0..<key.count where bytes[key.lowerBound + offset] != expected[offset] {
            return false
        }
        return true
    }

    /// Whether the value at the cursor is a string with at least one character.
    func atNonEmptyString() -> Bool {
        index + 1 < bytes.count && bytes[index] == Self.quote && bytes[index + 1] != Self.quote
    }

    /// Skips the value at the cursor, whatever it is; restores the object-walk state it had.
    mutating func skipValue() -> Bool {
        let walking = afterFirstKey
        defer { afterFirstKey = walking }
        skipWhitespace()
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case Self.quote:
            return skipString()
        case Self.openBrace, Self.openBracket:
            return skipContainer()
        default:
            // Numbers, true, false, null: everything up to the next delimiter.
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case Self.comma, Self.closeBrace, Self.closeBracket, 0x20, 0x09, 0x0A, 0x0D:
                    return index > start
                default: index += 1
                }
            }
            return index > start
        }
    }

    /// Skips a string starting at the cursor's quote, honouring escapes; leaves the cursor after its end quote.
    private mutating func skipString() -> Bool {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case Self.backslash: index += 2
            case Self.quote:
                index += 1
                return true
            default: index += 1
            }
        }
        return false
    }

    /// Skips a whole object or array by counting brackets outside strings.
    private mutating func skipContainer() -> Bool {
        var depth = 0
        while index < bytes.count {
            switch bytes[index] {
            case Self.quote:
                guard skipString() else { return false }
                continue
            case Self.openBrace, Self.openBracket:
                depth += 1
            case Self.closeBrace, Self.closeBracket:
                depth -= 1
                if depth == 0 {
                    index += 1
                    return true
                }
            default: break
            }
            index += 1
        }
        return false
    }
}
