extension JSONScanner {
    /// Consumes `null` if it comes next; returns whether it did.
    public mutating func consumeNull() throws(Failure) -> Bool {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Reads `true` or `false`.
    public mutating func readBool() throws(Failure) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw syntax("a value") }
        switch bytes[offset] {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default:
            throw mismatch("a boolean")
        }
    }

    /// Reads an integer. As `JSONDecoder` does, a number with a fraction or an exponent is accepted when its value
    /// is a whole number that fits (`1.0`, `1e3`); anything else is a type mismatch.
    public mutating func readInt() throws(Failure) -> Int {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset])
        else { throw mismatch("an integer") }
        let start = offset
        let isInteger = try scanNumber()
        if isInteger {
            // Digits only: it fits exactly or not at all (a Double would round 2^63 + 1 into range).
            guard let value = Self.integerValue(bytes, start..<offset) else {
                throw Failure(.typeMismatch, at: start, expected: "an integer that fits")
            }
            return value
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let double = Double(text), let value = Int(exactly: double) else {
            throw Failure(.typeMismatch, at: start, expected: "an integer that fits")
        }
        return value
    }

    /// Reads an integer, or `null` as nil.
    public mutating func readNullableInt() throws(Failure) -> Int? {
        if try consumeNull() { return nil }
        return try readInt()
    }

    /// Validates the number that comes next and returns its text, for a caller that converts it itself.
    public mutating func readNumberSpan() throws(Failure) -> Range<Int> {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset])
        else { throw mismatch("a number") }
        let start = offset
        _ = try scanNumber()
        return start..<offset
    }

    /// Marks the object that comes next and skips it (to be read later from the mark); nil for `null`.
    public mutating func markNullableObject() throws(Failure) -> Mark? {
        try markNullable(.object, "an object")
    }

    /// Marks the array that comes next and skips it (to be read later from the mark); nil for `null`.
    public mutating func markNullableArray() throws(Failure) -> Mark? {
        try markNullable(.array, "an array")
    }

    private mutating func markNullable(_ kind: ValueKind, _ expected: String) throws(Failure) -> Mark? {
        let found = try peekKind()
        if found == .null {
            try literal("null")
            return nil
        }
        guard found == kind else { throw Failure(.typeMismatch, at: offset, expected: expected) }
        let mark = mark()
        try skipValue()
        return mark
    }

    /// Validates and passes over the value that comes next, however deeply nested, without recursion.
    public mutating func skipValue() throws(Failure) {
        var containers = ContainerStack()
        var level = 0
        while true {
            // A value is expected here.
            skipWhitespace()
            guard offset < bytes.count else { throw syntax("a value") }
            switch bytes[offset] {
            case UInt8(ascii: "\""):
                advance(to: offset &+ 1)
                _ = try scanString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[offset] == UInt8(ascii: "{")
                guard depth &+ level < Self.maximumDepth else { throw Failure(.tooDeep, at: offset, expected: "less nesting") }
                advance(to: offset &+ 1)
                containers.set(level, isObject: isObject)
                level &+= 1
                skipWhitespace()
                if offset < bytes.count, bytes[offset] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    advance(to: offset &+ 1)
                    level &-= 1
                } else if isObject {
                    try memberKey()
                    continue
                } else {
                    continue
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                _ = try scanNumber()
            case UInt8(ascii: "t"):
                try literal("true")
            case UInt8(ascii: "f"):
                try literal("false")
            case UInt8(ascii: "n"):
                try literal("null")
            default:
                throw syntax("a value")
            }
            // A value has ended: close the containers it ends, until one continues with a comma.
            var continues = false
            while level > 0 {
                skipWhitespace()
                guard offset < bytes.count else {
                    throw syntax(containers.isObject(level &- 1) ? "',' or '}'" : "',' or ']'")
                }
                let byte = bytes[offset]
                let isObject = containers.isObject(level &- 1)
                if byte == UInt8(ascii: ",") {
                    advance(to: offset &+ 1)
                    if isObject { try memberKey() }
                    continues = true
                    break
                }
                guard byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw syntax(isObject ? "',' or '}'" : "',' or ']'")
                }
                advance(to: offset &+ 1)
                level &-= 1
            }
            if !continues {
                noteValueEnded()
                return
            }
        }
    }

    /// Inside a skipped object: a key, then the colon.
    private mutating func memberKey() throws(Failure) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw syntax("a string") }
        advance(to: offset &+ 1)
        _ = try scanString()
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw syntax("':'") }
        advance(to: offset &+ 1)
    }

    /// Consumes `text` exactly.
    private mutating func literal(_ text: StaticString) throws(Failure) {
        let count = text.utf8CodeUnitCount
        guard offset &+ count <= bytes.count else { throw syntax("a value") }
        let matches = text.withUTF8Buffer { expected in
            var index = 0
            while index < count {
                if expected[index] != bytes[offset &+ index] { return false }
                index &+= 1
            }
            return true
        }
        guard matches else { throw syntax("a value") }
        advance(to: offset &+ count)
    }

    /// Validates a number (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`) and consumes it; returns
    /// whether it has neither fraction nor exponent.
    private mutating func scanNumber() throws(Failure) -> Bool {
        var index = offset
        let count = bytes.count
        if index < count, bytes[index] == UInt8(ascii: "-") { index &+= 1 }
        guard index < count, Self.isDigit(bytes[index]) else {
            advance(to: index)
            throw syntax("a digit")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index &+= 1
        } else {
            while index < count, Self.isDigit(bytes[index]) { index &+= 1 }
        }
        var isInteger = true
        if index < count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index &+= 1
            guard index < count, Self.isDigit(bytes[index]) else {
                advance(to: index)
                throw syntax("a digit after '.'")
            }
            while index < count, Self.isDigit(bytes[index]) { index &+= 1 }
        }
        if index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index &+= 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index &+= 1 }
            guard index < count, Self.isDigit(bytes[index]) else {
                advance(to: index)
                throw syntax("a digit in the exponent")
            }
            while index < count, Self.isDigit(bytes[index]) { index &+= 1 }
        }
        advance(to: index)
        return isInteger
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// The value of a validated integer's text, or nil if it does not fit in `Int`.
    private static func integerValue(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index &+= 1 }
        // Accumulated negatively, so that Int.min fits.
        var value = 0
        while index < range.upperBound {
            let digit = Int(bytes[index] &- UInt8(ascii: "0"))
            let (scaled, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = scaled.subtractingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
            index &+= 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}

/// Which of the containers a skip is inside are objects: one bit per level, up to the maximum depth, on the stack.
private struct ContainerStack {
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    public mutating func set(_ level: Int, isObject: Bool) {
        let word = level >> 6
        let bit = UInt64(1) << UInt64(level & 63)
        withUnsafeMutableBytes(of: &words) { raw in
            let old = raw.load(fromByteOffset: word &* 8, as: UInt64.self)
            raw.storeBytes(of: isObject ? old | bit : old & ~bit, toByteOffset: word &* 8, as: UInt64.self)
        }
    }

    public func isObject(_ level: Int) -> Bool {
        let word = level >> 6
        let bit = UInt64(1) << UInt64(level & 63)
        return withUnsafeBytes(of: words) { raw in raw.load(fromByteOffset: word &* 8, as: UInt64.self) & bit != 0 }
    }
}

extension JSONScanner {
    /// Validates the value that comes next and returns its JSON text as written (a schema, a number, arguments),
    /// for a caller that passes it on unchanged.
    public mutating func readRawValue() throws(Failure) -> [UInt8] {
        let start = mark().offset
        try skipValue()
        return Array(bytes[start..<offset])
    }
}
