/// What one node of a forwarding header names.
enum ForwardedNode: Sendable, Hashable {
    /// An IP address (any port is dropped).
    case address(IPAddress)
    /// `unknown` or an obfuscated identifier (`_hidden`): a hop that is there but not
    /// identified. In `Forwarded` it ends the walk; elsewhere it is just not an address.
    case hidden
    /// Not a node at all.
    case invalid
}

/// Byte-level syntax shared by the forwarding headers: nodes with optional ports, and the
/// RFC 7239 `Forwarded` element grammar. Everything works on index ranges of one UTF-8
/// buffer and allocates nothing.
enum ForwardingSyntax {
    static let comma = UInt8(ascii: ",")
    static let semicolon = UInt8(ascii: ";")
    static let equals = UInt8(ascii: "=")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 32 || byte == 9
    }

    /// RFC 9110 `tchar`: the characters of a token.
    @inline(__always)
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// RFC 7239 obfuscated characters: `ALPHA / DIGIT / "." / "_" / "-"`.
    @inline(__always)
    static func isObfuscatedCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// Parses a node: `192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]`, `[2001:db8::1]:4711`, a
    /// bare `2001:db8::1`, `unknown`, `_hidden`, each optionally with a port (`1..5` digits up
    /// to 65535, or an obfuscated `_port`). Surrounding spaces and tabs are ignored.
    static func parseNode(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> ForwardedNode {
        var start = start
        var end = end
        while start < end, isWhitespace(bytes[start]) { start += 1 }
        while end > start, isWhitespace(bytes[end - 1]) { end -= 1 }
        guard start < end else { return .invalid }

        let first = bytes[start]
        if first == openBracket {
            var close = start + 1
            while close < end, bytes[close] != closeBracket { close += 1 }
            guard close < end, let value = AddressParser.parseIPv6(bytes, start + 1, close) else { return .invalid }
            guard close + 1 == end || (bytes[close + 1] == AddressParser.colon && isPort(bytes, close + 2, end)) else {
                return .invalid
            }
            return .address(IPAddress(ipv6: value))
        }

        // Find the name/port split: the only colon of `name:port` (IPv4, unknown, _hidden).
        var colons = 0
        var lastColon = end
        var index = start
        while index < end {
            if bytes[index] == AddressParser.colon {
                colons += 1
                lastColon = index
            }
            index += 1
        }
        if colons >= 2 {
            // More than one colon can only be an IPv6 address without brackets (and so
            // without a port): not what RFC 7239 allows, but what some proxies send.
            guard let value = AddressParser.parseIPv6(bytes, start, end) else { return .invalid }
            return .address(IPAddress(ipv6: value))
        }
        let nameEnd = colons == 1 ? lastColon : end
        if colons == 1, !isPort(bytes, lastColon + 1, end) { return .invalid }

        if first == underscore {
            guard nameEnd - start >= 2 else { return .invalid }
            var index = start + 1
            while index < nameEnd {
                guard isObfuscatedCharacter(bytes[index]) else { return .invalid }
                index += 1
            }
            return .hidden
        }
        if isUnknown(bytes, start, nameEnd) { return .hidden }
        guard let value = AddressParser.parseIPv4(bytes, start, nameEnd) else { return .invalid }
        return .address(IPAddress(ipv4: value))
    }

    /// `unknown`, in any letter case.
    private static func isUnknown(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end - start == 7 else { return false }
        let word: StaticString = "unknown"
        for offset in 0..<7 where bytes[start + offset] | 0x20 != word.utf8Start[offset] {
            return false
        }
        return true
    }

    /// A port: 1 to 5 digits up to 65535, or `_` followed by obfuscated characters.
    private static func isPort(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        if bytes[start] == underscore {
            guard end - start >= 2 else { return false }
            var index = start + 1
            while index < end {
                guard isObfuscatedCharacter(bytes[index]) else { return false }
                index += 1
            }
            return true
        }
        guard end - start <= 5 else { return false }
        var value = 0
        var index = start
        while index < end {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return false }
            value = value * 10 + Int(digit)
            index += 1
        }
        return value <= 65535
    }

    /// Whether `bytes[start..<end]` is `for`, in any letter case.
    @inline(__always)
    static func isForParameter(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        end - start == 3 && bytes[start] | 0x20 == UInt8(ascii: "f") && bytes[start + 1] | 0x20 == UInt8(ascii: "o")
            && bytes[start + 2] | 0x20 == UInt8(ascii: "r")
    }

    /// Moves past the rest of a malformed element: to the next comma outside a quoted string,
    /// or to the end.
    static func skipToNextElement(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        var index = index
        var quoted = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == backslash {
                    index += 1
                } else if byte == quote {
                    quoted = false
                }
            } else if byte == quote {
                quoted = true
            } else if byte == comma {
                return index
            }
            index += 1
        }
        return bytes.count
    }

    /// Calls `visit` with the `for=` node of each element of one `Forwarded` field value, left
    /// to right. Elements without `for`, with `for` twice, or that break the grammar are
    /// skipped; an unterminated quoted string ends the value.
    static func forEachForwardedFor(
        _ bytes: UnsafeBufferPointer<UInt8>, _ visit: (ForwardedNode) -> Void
    ) {
        let count = bytes.count
        var index = 0
        while index <= count {
            var forStart = -1
            var forEnd = -1
            var forCount = 0
            var forEscaped = false
            var malformed = false

            // forwarded-element = [ pair ] *( ";" [ pair ] ), pair = token "=" value
            pairs: while true {
                while index < count, isWhitespace(bytes[index]) { index += 1 }
                if index >= count || bytes[index] == comma { break pairs }
                if bytes[index] == semicolon {
                    index += 1
                    continue pairs
                }
                let nameStart = index
                while index < count, isTokenCharacter(bytes[index]) { index += 1 }
                let nameEnd = index
                guard nameEnd > nameStart, index < count, bytes[index] == equals else {
                    malformed = true
                    index = skipToNextElement(bytes, from: index)
                    break pairs
                }
                index += 1

                let valueStart: Int
                let valueEnd: Int
                var escaped = false
                if index < count, bytes[index] == quote {
                    index += 1
                    valueStart = index
                    while index < count, bytes[index] != quote {
                        if bytes[index] == backslash {
                            escaped = true
                            index += 1
                        }
                        index += 1
                    }
                    guard index < count else {
                        // Unterminated: nothing after the opening quote can be trusted to parse.
                        malformed = true
                        index = count
                        break pairs
                    }
                    valueEnd = index
                    index += 1
                } else {
                    valueStart = index
                    while index < count, bytes[index] != semicolon, bytes[index] != comma, !isWhitespace(bytes[index]) {
                        index += 1
                    }
                    valueEnd = index
                }

                if isForParameter(bytes, nameStart, nameEnd) {
                    forCount += 1
                    forStart = valueStart
                    forEnd = valueEnd
                    forEscaped = escaped
                }

                while index < count, isWhitespace(bytes[index]) { index += 1 }
                if index < count, bytes[index] == semicolon {
                    index += 1
                    continue pairs
                }
                if index >= count || bytes[index] == comma { break pairs }
                malformed = true
                index = skipToNextElement(bytes, from: index)
                break pairs
            }

            if !malformed, forCount == 1 {
                // A node never needs a quoted-pair; one that has them is not a node we can read.
                visit(forEscaped ? .invalid : parseNode(bytes, forStart, forEnd))
            } else if forCount > 0 {
                visit(.invalid)
            }
            index += 1  // past the comma (or past the end, which ends the loop)
        }
    }
}

/// Calls `body` with the UTF-8 bytes of `text`: in place for native strings and substrings,
/// through a copy otherwise.
@inlinable
func withUTF8Bytes<Text: StringProtocol, Result>(
    of text: Text, _ body: (UnsafeBufferPointer<UInt8>) -> Result
) -> Result {
    if let result = text.utf8.withContiguousStorageIfAvailable(body) {
        return result
    }
    var copy = String(text)
    return copy.withUTF8(body)
}
