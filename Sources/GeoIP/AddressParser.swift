/// An address as written, before IPv4-mapped normalisation.
///
/// CIDR parsing needs this form: `::ffff:10.0.0.0/104` must stay IPv6 until its prefix length
/// has been read.
enum RawAddress: Sendable, Hashable {
    case v4(UInt32)
    case v6(UInt128)

    /// The normalised address.
    var address: IPAddress {
        switch self {
        case .v4(let value): IPAddress(ipv4: value)
        case .v6(let value): IPAddress(ipv6: value)
        }
    }
}

/// Allocation-free parsers for IPv4 and IPv6 text, over a range of a UTF-8 buffer.
///
/// They take `start`/`end` indices rather than slices so that the header parsers can hand
/// over sub-ranges of one buffer without creating anything.
enum AddressParser {
    static let colon = UInt8(ascii: ":")
    static let dot = UInt8(ascii: ".")

    /// Parses `buffer[start..<end]` as exactly one IPv4 or IPv6 address.
    static func parse(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> RawAddress? {
        guard start < end else { return nil }
        // An IPv4 address has a dot within its first four bytes; an IPv6 address never does
        // (an embedded dotted quad comes after at least one colon). This avoids scanning twice.
        var index = start
        while index < end, index - start < 4, buffer[index] &- 48 < 10 {
            index += 1
        }
        if index < end, buffer[index] == dot {
            return parseIPv4(buffer, start, end).map(RawAddress.v4)
        }
        return parseIPv6(buffer, start, end).map(RawAddress.v6)
    }

    /// Parses a dotted quad: four decimal octets, 0...255, no leading zeros (`010` could mean
    /// octal to other parsers, so it is refused rather than guessed).
    static func parseIPv4(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        var index = start
        while index < end {
            let byte = buffer[index]
            let digit = byte &- 48
            if digit < 10 {
                if digits > 0, octet == 0 { return nil }  // leading zero
                octet = octet * 10 + UInt32(digit)
                digits += 1
                if octet > 255 { return nil }
            } else if byte == dot {
                if digits == 0 || dots == 3 { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else {
                return nil
            }
            index += 1
        }
        guard digits > 0, dots == 3 else { return nil }
        return value << 8 | octet
    }

    /// Parses RFC 4291 IPv6 text: eight groups of one to four hex digits, at most one `::`
    /// standing for one or more zero groups, and optionally a dotted quad as the last 32 bits.
    static func parseIPv6(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt128? {
        // Groups before `::` accumulate in `head`, groups after it in `tail`; the zeros in
        // between are implied by shifting `head` into place at the end.
        var head: UInt128 = 0
        var headGroups = 0
        var tail: UInt128 = 0
        var tailGroups = 0
        var compressed = false
        var index = start

        guard index < end else { return nil }
        if buffer[index] == colon {
            guard end - index >= 2, buffer[index + 1] == colon else { return nil }
            compressed = true
            index += 2
            if index == end { return 0 }
        }

        while true {
            let groupStart = index
            var group: UInt32 = 0
            var digits = 0
            while index < end, digits < 5, let nibble = hexValue(buffer[index]) {
                group = group << 4 | nibble
                digits += 1
                index += 1
            }
            if index < end, buffer[index] == dot {
                // An embedded dotted quad must run to the end and fills two groups.
                guard let quad = parseIPv4(buffer, groupStart, end) else { return nil }
                if compressed {
                    tail = tail << 32 | UInt128(quad)
                    tailGroups += 2
                } else {
                    head = head << 32 | UInt128(quad)
                    headGroups += 2
                }
                index = end
                break
            }
            guard digits > 0, digits <= 4 else { return nil }
            if compressed {
                tail = tail << 16 | UInt128(group)
                tailGroups += 1
            } else {
                head = head << 16 | UInt128(group)
                headGroups += 1
            }
            guard headGroups + tailGroups <= 8 else { return nil }
            if index == end { break }
            guard buffer[index] == colon else { return nil }
            index += 1
            guard index < end else { return nil }  // a single trailing colon
            if buffer[index] == colon {
                guard !compressed else { return nil }  // a second `::`
                compressed = true
                index += 1
                if index == end { break }
            }
        }

        let groups = headGroups + tailGroups
        if compressed {
            guard groups <= 7 else { return nil }
        } else {
            guard groups == 8 else { return nil }
        }
        return head << UInt128(16 * (8 - headGroups)) | tail
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte &- 48)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte &- 87)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte &- 55)
        default: nil
        }
    }
}
