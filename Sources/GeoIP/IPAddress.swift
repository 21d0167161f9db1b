/// An IPv4 or IPv6 address, held inline (no heap storage).
///
/// IPv4 addresses are stored as a `UInt32` and IPv6 addresses as a 128-bit integer, both
/// in network order (the first octet is the most significant). An IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4 peer) is normalised to
/// the IPv4 address it carries, so `::ffff:10.0.0.1 == 10.0.0.1` and both print as `10.0.0.1`.
///
/// Parsing works on UTF-8 bytes and never allocates. It is strict: IPv4 is exactly four
/// decimal octets without leading zeros; IPv6 follows RFC 4291 (with `::` compression and an
/// embedded dotted quad in the last 32 bits). Zone identifiers (`fe80::1%eth0`), brackets,
/// ports and surrounding whitespace are rejected: they belong to the caller's syntax.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        /// IPv4 (32 bits).
        case ipv4
        /// IPv6 (128 bits), never IPv4-mapped.
        case ipv6
    }

    @usableFromInline
    enum Storage: Sendable, Hashable {
        case v4(UInt32)
        case v6(UInt128)
    }

    @usableFromInline
    let storage: Storage

    /// The IPv4-mapped prefix `::ffff:0:0/96`, as the high 96 bits of a 128-bit address.
    @usableFromInline
    static let mappedPrefix: UInt128 = 0xFFFF << 32

    /// Creates an IPv4 address from its 32-bit value (`0x0A000001` is `10.0.0.1`).
    @inlinable
    public init(ipv4 value: UInt32) {
        storage = .v4(value)
    }

    /// Creates an IPv4 address from its four octets: `IPAddress(10, 0, 0, 1)`.
    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        storage = .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// Creates an IPv6 address from its 128-bit value; an IPv4-mapped value becomes IPv4.
    @inlinable
    public init(ipv6 value: UInt128) {
        if value >> 32 == IPAddress.mappedPrefix >> 32 {
            storage = .v4(UInt32(truncatingIfNeeded: value))
        } else {
            storage = .v6(value)
        }
    }

    /// Creates an IPv6 address from 16 bytes in network order; an IPv4-mapped value becomes IPv4.
    /// Returns nil unless `bytes` holds exactly 16 bytes.
    public init?(ipv6Bytes bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var value: UInt128 = 0
        for byte in bytes {
            value = value << 8 | UInt128(byte)
        }
        self.init(ipv6: value)
    }

    /// Parses an address from text (`"192.0.2.1"`, `"2001:db8::1"`, `"::ffff:192.0.2.1"`).
    /// Returns nil when the text is not exactly one address.
    @inlinable
    public init?(_ description: String) {
        var text = description
        guard let parsed = text.withUTF8({ IPAddress(utf8: $0) }) else { return nil }
        self = parsed
    }

    /// Parses an address from a substring without copying it.
    public init?(_ text: Substring) {
        let parsed: IPAddress?? = text.utf8.withContiguousStorageIfAvailable { IPAddress(utf8: $0) }
        if let parsed {
            guard let parsed else { return nil }
            self = parsed
        } else {
            // Substrings of native Swift strings are contiguous; this copy only happens for
            // exotic backing stores.
            self.init(String(text))
        }
    }

    /// Parses an address from UTF-8 bytes (the whole buffer must be the address).
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let raw = AddressParser.parse(bytes, bytes.startIndex, bytes.endIndex) else { return nil }
        self = raw.address
    }

    /// The address family (IPv4-mapped addresses report `.ipv4`).
    @inlinable
    public var family: Family {
        switch storage {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The 32-bit value of an IPv4 address, nil for IPv6.
    @inlinable
    public var ipv4Value: UInt32? {
        if case .v4(let value) = storage { return value }
        return nil
    }

    /// The 128-bit IPv6 form: the address itself, or `::ffff:a.b.c.d` for IPv4.
    @inlinable
    public var ipv6Value: UInt128 {
        switch storage {
        case .v4(let value): IPAddress.mappedPrefix | UInt128(value)
        case .v6(let value): value
        }
    }

    /// Orders IPv4 before IPv6, then numerically.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    /// The canonical text form: dotted quad for IPv4; RFC 5952 for IPv6 (lower-case hex,
    /// no leading zeros, the longest run of two or more zero groups shortened to `::`).
    public var description: String {
        switch storage {
        case .v4(let value):
            return IPAddress.formatIPv4(value)
        case .v6(let value):
            return IPAddress.formatIPv6(value)
        }
    }

    private static func formatIPv4(_ value: UInt32) -> String {
        // 15 bytes at most ("255.255.255.255"), which Swift keeps inline in the String.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buffer in
            var count = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                if shift != 24 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
                count += writeDecimal(UInt8(truncatingIfNeeded: value >> UInt32(shift)), into: buffer, at: count)
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    private static func writeDecimal(_ octet: UInt8, into buffer: UnsafeMutableBufferPointer<UInt8>, at index: Int)
        -> Int
    {
        if octet >= 100 {
            buffer[index] = 48 + octet / 100
            buffer[index + 1] = 48 + octet / 10 % 10
            buffer[index + 2] = 48 + octet % 10
            return 3
        }
        if octet >= 10 {
            buffer[index] = 48 + octet / 10
            buffer[index + 1] = 48 + octet % 10
            return 2
        }
        buffer[index] = 48 + octet
        return 1
    }

    private static func formatIPv6(_ value: UInt128) -> String {
        var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            for index in 0..<8 {
                words[index] = UInt16(truncatingIfNeeded: value >> UInt128(112 - 16 * index))
            }
        }
        return withUnsafeBytes(of: groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            // RFC 5952 section 4.2: compress the longest run of zero groups (the first one on a
            // tie), and only a run of at least two groups.
            var bestStart = -1
            var bestLength = 1
            var index = 0
            while index < 8 {
                if words[index] == 0 {
                    var end = index
                    while end < 8, words[end] == 0 { end += 1 }
                    if end - index > bestLength {
                        bestStart = index
                        bestLength = end - index
                    }
                    index = end
                } else {
                    index += 1
                }
            }
            // 39 bytes at most ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 39) { buffer in
                var count = 0
                var group = 0
                while group < 8 {
                    if group == bestStart {
                        buffer[count] = UInt8(ascii: ":")
                        buffer[count + 1] = UInt8(ascii: ":")
                        count += 2
                        group += bestLength
                        continue
                    }
                    // No separator at the start or right after "::" (with no run, start + length is 0).
                    if group != 0, group != bestStart + bestLength {
                        buffer[count] = UInt8(ascii: ":")
                        count += 1
                    }
                    count += writeHex(words[group], into: buffer, at: count)
                    group += 1
                }
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
            }
        }
    }

    private static func writeHex(_ word: UInt16, into buffer: UnsafeMutableBufferPointer<UInt8>, at index: Int) -> Int {
        let digits: StaticString = "0123456789abcdef"
        var count = 0
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let nibble = Int((word >> UInt16(shift)) & 0xF)
            if nibble != 0 || started || shift == 0 {
                started = true
                buffer[index + count] = digits.utf8Start[nibble]
                count += 1
            }
        }
        return count
    }
}
