/// A strict pull scanner over one JSON text (RFC 8259) in UTF-8, for the dialects' hot paths.
///
/// The caller walks the document and takes only what it needs: `enterObject` then `nextMember` until it returns
/// nil, reading each member's value with a `read` method or passing over it with `skipValue`; arrays likewise with
/// `enterArray` and `nextElement`. Every byte walked over is validated (grammar, escapes, surrogate pairs, UTF-8
/// inside strings), so a document walked up to `finish()` is valid JSON. Nothing is allocated but the `String`s
/// the caller asks for (and, rarely, the text of an integer written as `1.0` or `1e3`); skipping is iterative and
/// nesting is capped, so hostile input can neither exhaust the stack nor make it loop.
///
/// Unlike Foundation's parsers it rejects trailing commas, and it accepts numbers outside `Double`'s range in
/// values it only skips (their text is valid JSON; nothing here needs their value). Of duplicate keys the caller
/// sees every occurrence in order, so "the last one wins", as `JSONSerialization` does, is the natural reading.
///
/// The scanner reads through a pointer: use it only inside the `withUnsafeBufferPointer` (or similar) call that
/// produced the buffer.
public struct JSONScanner {
    /// Deepest nesting of arrays and objects accepted, Foundation's limit.
    public static let maximumDepth = 512

    /// The input; `offset` indexes it.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Offset of the next unread byte.
    public private(set) var offset: Int
    /// Arrays and objects entered and not yet left.
    public private(set) var depth: Int
    /// The container was just entered: its first member or element comes without a comma.
    private var afterOpen = false

    /// A scanner at the start of `bytes`; a UTF-8 byte order mark is skipped, as RFC 8259 allows.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.depth = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            offset = 3
        } else {
            offset = 0
        }
    }

    /// A scanner resumed at a value marked during an earlier walk of the same bytes.
    public init(_ bytes: UnsafeBufferPointer<UInt8>, at mark: Mark) {
        self.bytes = bytes
        self.offset = mark.offset
        self.depth = mark.depth
    }

    /// A scanner over the same bytes, at a value this one (or one like it) marked.
    public func resumed(at mark: Mark) -> JSONScanner {
        JSONScanner(bytes, at: mark)
    }

    // MARK: - Structure

    /// Enters the object that must come next.
    public mutating func enterObject() throws(Failure) {
        try open(UInt8(ascii: "{"))
    }

    /// Enters the array that must come next.
    public mutating func enterArray() throws(Failure) {
        try open(UInt8(ascii: "["))
    }

    /// The next member's key of the object being walked (its `:` consumed: the value comes next), or nil at the
    /// object's end, which is then left.
    public mutating func nextMember() throws(Failure) -> Key? {
        guard let key = try nextKey() else { return nil }
        try readColon()
        return key
    }

    /// Like ``nextMember()``, but stops before the `:` that follows the key: ``readColon()`` must come next. For a
    /// caller that judges the key before the rest of the member is read, say to refuse an unknown field even when
    /// its `:` is missing.
    @inline(__always)
    public mutating func nextKey() throws(Failure) -> Key? {
        skipWhitespace()
        guard offset < bytes.count else {
            throw syntax(afterOpen ? "a string or '}'" : "',' or '}'")
        }
        var byte = bytes[offset]
        if byte == UInt8(ascii: "}") {
            // `{` then `}`, or a value then `}`: a comma before `}` was consumed below and cannot get here.
            afterOpen = false
            offset &+= 1
            depth &-= 1
            return nil
        }
        if afterOpen {
            afterOpen = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw syntax("',' or '}'") }
            offset &+= 1
            skipWhitespace()
            guard offset < bytes.count else { throw syntax("a string") }
            byte = bytes[offset]
        }
        guard byte == UInt8(ascii: "\"") else { throw syntax("a string") }
        offset &+= 1
        return Key(span: try scanString(), bytes: bytes)
    }

    /// Consumes the `:` after a key ``nextKey()`` returned: the member's value comes next.
    @inline(__always)
    public mutating func readColon() throws(Failure) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw syntax("':'") }
        offset &+= 1
    }

    /// Whether another element of the array being walked comes next (then read or skip it); false at the array's
    /// end, which is then left.
    public mutating func nextElement() throws(Failure) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else {
            throw syntax(afterOpen ? "a value or ']'" : "',' or ']'")
        }
        let byte = bytes[offset]
        if byte == UInt8(ascii: "]") {
            afterOpen = false
            offset &+= 1
            depth &-= 1
            return false
        }
        if afterOpen {
            afterOpen = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw syntax("',' or ']'") }
            offset &+= 1
        }
        return true
    }

    /// Checks that only whitespace is left.
    public mutating func finish() throws(Failure) {
        skipWhitespace()
        guard offset == bytes.count else { throw syntax("the end of the input") }
    }

    /// The kind of the value that comes next (after whitespace), without consuming it.
    public mutating func peekKind() throws(Failure) -> ValueKind {
        skipWhitespace()
        guard offset < bytes.count else { throw syntax("a value") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw syntax("a value")
        }
    }

    /// Where the next value starts, to come back to it with ``resumed(at:)`` (the value still has to be read or
    /// skipped here).
    public mutating func mark() -> Mark {
        skipWhitespace()
        return Mark(offset: offset, depth: depth)
    }

    // MARK: - Internals shared by the extensions

    private mutating func open(_ bracket: UInt8) throws(Failure) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == bracket else {
            throw mismatch(bracket == UInt8(ascii: "{") ? "an object" : "an array")
        }
        guard depth < Self.maximumDepth else { throw Failure(.tooDeep, at: offset, expected: "less nesting") }
        offset &+= 1
        depth &+= 1
        afterOpen = true
    }

    /// The error for a value of the wrong kind: a type mismatch if a value starts here, else a syntax error.
    public func mismatch(_ expected: String) -> Failure {
        guard offset < bytes.count else { return syntax("a value") }
        switch bytes[offset] {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return Failure(.typeMismatch, at: offset, expected: expected)
        default:
            return syntax("a value")
        }
    }

    public func syntax(_ expected: String) -> Failure {
        Failure(.syntax, at: offset, expected: expected)
    }

    /// Leaves a container the skipping walk entered and closed on its own.
    public mutating func noteValueEnded() {
        afterOpen = false
    }

    public mutating func advance(to newOffset: Int) {
        offset = newOffset
    }

    public mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): offset &+= 1
            default: return
            }
        }
    }
}

extension JSONScanner {
    /// What a value is, from its first byte.
    public enum ValueKind: Sendable {
        case object, array, string, number, bool, null
    }

    /// A position in the input to come back to: a value's first byte and the nesting around it.
    public struct Mark: Sendable, Equatable {
        public var offset: Int
        public var depth: Int
    }

    /// Why the input was rejected.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Code: Sendable {
            /// The input is not JSON.
            case syntax
            /// The input is JSON, but a value the caller asked for has another kind.
            case typeMismatch
            /// Arrays and objects nest deeper than ``JSONScanner/maximumDepth``.
            case tooDeep
        }

        public var code: Code
        /// Byte offset into the input.
        public var offset: Int
        /// What was expected there.
        public var expected: String

        public init(_ code: Code, at offset: Int, expected: String) {
            self.code = code
            self.offset = offset
            self.expected = expected
        }

        public var description: String { "expected \(expected) at byte \(offset)" }
    }
}
