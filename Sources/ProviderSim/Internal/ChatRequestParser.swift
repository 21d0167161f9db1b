/// A validating JSON reader for a chat request body that keeps only what ``ChatRequest`` needs.
///
/// It checks the whole document against RFC 8259's grammar (strings' escapes and UTF-8 included), so a body
/// Foundation's parser refused is refused here too and answered 400; of the values it keeps only the top-level
/// `model` (a string), `stream` and `stream_options.include_usage` (booleans; anything else reads as false, as the
/// `as? Bool` casts did). A duplicated key keeps its last value, and a trailing comma in an object or array is
/// accepted, as Foundation's parser did.
struct ChatRequestParser {
    /// Deeper documents are refused rather than risk the stack (Foundation refused them too, at a similar depth).
    static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0
    private var model: String?
    private var stream = false
    private var includeUsage = false

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The request, or nil if `bytes` is not a JSON object with a string `model`.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> ChatRequest? {
        var parser = ChatRequestParser(bytes)
        parser.skipWhitespace()
        guard parser.peek() == UInt8(ascii: "{"), parser.value(.topLevel) else { return nil }
        parser.skipWhitespace()
        guard parser.index == bytes.count, let model = parser.model else { return nil }
        return ChatRequest(model: model, stream: parser.stream, includeUsage: parser.includeUsage)
    }

    /// Which value is being read, so the wanted ones are kept.
    private enum Role {
        case ignored
        case topLevel
        case model
        case stream
        case streamOptions
        case includeUsage
    }

    // MARK: Values

    private mutating func value(_ role: Role) -> Bool {
        skipWhitespace()
        guard let byte = peek() else { return false }
        // A repeated key replaces the earlier value whole; a value of the wrong type counts as absent.
        forget(role)
        switch byte {
        case UInt8(ascii: "{"): return object(role)
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""):
            guard role == .model else { return string(decode: false) != nil }
            guard let text = string(decode: true) else { return false }
            model = text
            return true
        case UInt8(ascii: "t"):
            guard literal("true") else { return false }
            set(role, true)
            return true
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    /// `true` was read for `role`.
    private mutating func set(_ role: Role, _ flag: Bool) {
        switch role {
        case .stream: stream = flag
        case .includeUsage: includeUsage = flag
        case .ignored, .topLevel, .model, .streamOptions: break
        }
    }

    /// Drops what an earlier value for `role` left.
    private mutating func forget(_ role: Role) {
        switch role {
        case .model: model = nil
        case .stream: stream = false
        case .includeUsage, .streamOptions: includeUsage = false
        case .ignored, .topLevel: break
        }
    }

    private mutating func object(_ role: Role) -> Bool {
        guard enter() else { return false }
        index += 1  // {
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return true
        }
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                // A trailing comma.
                index += 1
                break
            }
            guard peek() == UInt8(ascii: "\""), let key = key() else { return false }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { return false }
            index += 1
            let child: Role =
                switch (role, key) {
                case (.topLevel, .model): .model
                case (.topLevel, .stream): .stream
                case (.topLevel, .streamOptions): .streamOptions
                case (.streamOptions, .includeUsage): .includeUsage
                default: .ignored
                }
            guard value(child) else { return false }
            skipWhitespace()
            guard let separator = peek() else { return false }
            index += 1
            if separator == UInt8(ascii: "}") { break }
            guard separator == UInt8(ascii: ",") else { return false }
        }
        depth -= 1
        return true
    }

    private mutating func array() -> Bool {
        guard enter() else { return false }
        index += 1  // [
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return true
        }
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                // A trailing comma.
                index += 1
                break
            }
            guard value(.ignored) else { return false }
            skipWhitespace()
            guard let separator = peek() else { return false }
            index += 1
            if separator == UInt8(ascii: "]") { break }
            guard separator == UInt8(ascii: ",") else { return false }
        }
        depth -= 1
        return true
    }

    private mutating func enter() -> Bool {
        depth += 1
        return depth <= Self.maxDepth
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    private mutating func number() -> Bool {
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { return false }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let digit = peek(), isDigit(digit) else { return false }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek(), isDigit(digit) else { return false }
            skipDigits()
        }
        return true
    }

    // MARK: Strings

    /// The object keys that matter here.
    private enum Key {
        case model, stream, streamOptions, includeUsage, other
    }

    private mutating func key() -> Key? {
        let start = index + 1
        guard string(decode: false) != nil else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)])
        guard raw.contains(UInt8(ascii: "\\")) else { return Self.key(raw) }
        // An escaped key is read again, decoded, to compare it (rare: no client escapes these names).
        index = start - 1
        guard let text = string(decode: true) else { return nil }
        return Self.key(Array(text.utf8))
    }

    private static func key(_ name: some Collection<UInt8>) -> Key {
        if name.elementsEqual("model".utf8) { return .model }
        if name.elementsEqual("stream".utf8) { return .stream }
        if name.elementsEqual("stream_options".utf8) { return .streamOptions }
        if name.elementsEqual("include_usage".utf8) { return .includeUsage }
        return .other
    }

    /// Reads a string; its text when `decode`, else "" (only checked). Nil if it is not valid JSON.
    private mutating func string(decode: Bool) -> String? {
        index += 1  // "
        var text: [UInt8] = []
        var segment = index
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                if decode { text.append(contentsOf: bytes[segment..<index]) }
                index += 1
                return decode ? String(decoding: text, as: UTF8.self) : ""
            case UInt8(ascii: "\\"):
                if decode { text.append(contentsOf: bytes[segment..<index]) }
                index += 1
                guard escape(into: &text, decode: decode) else { return nil }
                segment = index
            case 0..<0x20:
                return nil
            case 0x80...:
                guard utf8Sequence() else { return nil }
            default:
                index += 1
            }
        }
        return nil
    }

    /// After a backslash: one escape, appended to `text` as UTF-8 when decoding.
    private mutating func escape(into text: inout [UInt8], decode: Bool) -> Bool {
        guard let byte = peek() else { return false }
        index += 1
        let simple: UInt8? =
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            if decode { text.append(simple) }
            return true
        }
        guard byte == UInt8(ascii: "u"), var scalar = hex4() else { return false }
        if (0xD800..<0xDC00).contains(scalar) {
            // A high surrogate pairs with the low one that follows; Foundation refused a lone one.
            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return false }
            index += 2
            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return false }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            return false
        }
        if decode, let unicode = Unicode.Scalar(scalar) { text.append(contentsOf: Array(String(unicode).utf8)) }
        return true
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// One multi-byte UTF-8 sequence, well formed (no overlongs, surrogates or values past U+10FFFF).
    private mutating func utf8Sequence() -> Bool {
        let lead = bytes[index]
        let (count, low, high): (Int, UInt8, UInt8) =
            switch lead {
            case 0xC2...0xDF: (2, 0x80, 0xBF)
            case 0xE0: (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
            case 0xED: (3, 0x80, 0x9F)
            case 0xF0: (4, 0x90, 0xBF)
            case 0xF1...0xF3: (4, 0x80, 0xBF)
            case 0xF4: (4, 0x80, 0x8F)
            default: (0, 0, 0)
            }
        guard count > 0, bytes.count - index >= count else { return false }
        // The second byte has the narrower range; the others are plain continuation bytes.
        guard (low...high).contains(bytes[index + 1]) else { return false }
        for offset in 2..<count where !(0x80...0xBF).contains(bytes[index + offset]) { return false }
        index += count
        return true
    }

    // MARK: Bytes

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = peek(), isDigit(byte) { index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }
}
