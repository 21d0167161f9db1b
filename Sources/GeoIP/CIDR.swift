/// A block of addresses: `10.0.0.0/8`, `::1/128`, `2001:db8::/32`.
///
/// Host bits are cleared when the block is made (`10.1.2.3/8` is `10.0.0.0/8`), and an
/// address without a prefix length is a single host (`/32` or `/128`).
///
/// IPv4 blocks match IPv4-mapped IPv6 addresses, because ``IPAddress`` normalises those to
/// IPv4. An IPv6 block written inside the mapped range with a prefix of at least 96
/// (`::ffff:10.0.0.0/104`) becomes the IPv4 block it describes (`10.0.0.0/8`); a wider IPv6
/// block (`::/0`, `::ffff:0:0/96`) matches IPv4 addresses through their mapped form.
public struct CIDR: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    @usableFromInline
    enum Block: Sendable, Hashable {
        case v4(network: UInt32, mask: UInt32)
        case v6(network: UInt128, mask: UInt128)
    }

    @usableFromInline
    let block: Block

    /// The number of leading bits that are fixed: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// The first address of the block.
    public var network: IPAddress {
        switch block {
        case .v4(let network, _): IPAddress(ipv4: network)
        case .v6(let network, _): IPAddress(ipv6: network)
        }
    }

    /// Makes the block of `prefixLength` leading bits of `address` (host bits are cleared).
    /// - Throws: ``GeoIPError/Code/invalidCIDR`` when the prefix length does not fit the family.
    public init(network address: IPAddress, prefixLength: Int) throws(GeoIPError) {
        switch address.storage {
        case .v4(let value):
            guard (0...32).contains(prefixLength) else {
                throw GeoIPError(
                    code: .invalidCIDR,
                    message: "invalid CIDR '\(address)/\(prefixLength)': an IPv4 prefix length must be 0...32")
            }
            self.init(v4: value, prefixLength: prefixLength)
        case .v6(let value):
            guard (0...128).contains(prefixLength) else {
                throw GeoIPError(
                    code: .invalidCIDR,
                    message: "invalid CIDR '\(address)/\(prefixLength)': an IPv6 prefix length must be 0...128")
            }
            self.init(v6: value, prefixLength: prefixLength)
        }
    }

    private init(v4 value: UInt32, prefixLength: Int) {
        let mask: UInt32 = prefixLength == 0 ? 0 : ~0 << UInt32(32 - prefixLength)
        self.init(block: .v4(network: value & mask, mask: mask), prefixLength: prefixLength)
    }

    private init(block: Block, prefixLength: Int) {
        self.block = block
        self.prefixLength = prefixLength
    }

    private init(v6 value: UInt128, prefixLength: Int) {
        let mask: UInt128 = prefixLength == 0 ? 0 : ~0 << UInt128(128 - prefixLength)
        let network = value & mask
        if prefixLength >= 96, network >> 32 == IPAddress.mappedPrefix >> 32 {
            // Inside ::ffff:0:0/96: the same block in IPv4 terms, so it prints and compares as IPv4.
            self.init(v4: UInt32(truncatingIfNeeded: network), prefixLength: prefixLength - 96)
        } else {
            self.init(block: .v6(network: network, mask: mask), prefixLength: prefixLength)
        }
    }

    /// Parses `address/length` or a bare address; nil when the text is not a block.
    public init?(_ description: String) {
        guard let parsed = try? CIDR.parse(description) else { return nil }
        self = parsed
    }

    /// Parses `address/length` or a bare address (surrounding spaces are ignored).
    /// - Throws: ``GeoIPError/Code/invalidCIDR`` with a message that quotes the text and says what is wrong.
    public static func parse(_ text: String) throws(GeoIPError) -> CIDR {
        var copy = text
        let result: Result<CIDR, GeoIPError> = copy.withUTF8 { bytes in
            var start = bytes.startIndex
            var end = bytes.endIndex
            while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
            while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
            var slash = start
            while slash < end, bytes[slash] != UInt8(ascii: "/") { slash += 1 }
            guard let raw = AddressParser.parse(bytes, start, slash) else {
                return .failure(
                    GeoIPError(code: .invalidCIDR, message: "invalid CIDR '\(text)': not an IP address before the '/'"))
            }
            let maximum: Int
            switch raw {
            case .v4: maximum = 32
            case .v6: maximum = 128
            }
            var length = maximum
            if slash < end {
                var digits = 0
                length = 0
                var index = slash + 1
                while index < end, bytes[index] &- 48 < 10, digits < 3 {
                    length = length * 10 + Int(bytes[index] &- 48)
                    digits += 1
                    index += 1
                }
                guard digits > 0, index == end, length <= maximum else {
                    return .failure(
                        GeoIPError(
                            code: .invalidCIDR,
                            message: "invalid CIDR '\(text)': the prefix length must be a number 0...\(maximum)"))
                }
            }
            switch raw {
            case .v4(let value): return .success(CIDR(v4: value, prefixLength: length))
            case .v6(let value): return .success(CIDR(v6: value, prefixLength: length))
            }
        }
        return try result.get()
    }

    /// Whether `address` lies in this block.
    @inlinable
    public func contains(_ address: IPAddress) -> Bool {
        switch (block, address.storage) {
        case (.v4(let network, let mask), .v4(let value)):
            return value & mask == network
        case (.v6(let network, let mask), .v6(let value)):
            return value & mask == network
        case (.v6(let network, let mask), .v4(let value)):
            // A wide IPv6 block (::/0, ::ffff:0:0/96) covers IPv4 through the mapped form.
            return (IPAddress.mappedPrefix | UInt128(value)) & mask == network
        case (.v4, .v6):
            return false
        }
    }

    /// `network/prefixLength` in canonical form (`10.0.0.0/8`, `2001:db8::/32`).
    public var description: String {
        "\(network)/\(prefixLength)"
    }
}
