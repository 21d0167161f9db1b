import GeoIP
import Testing

@Suite("IPAddress", .timeLimit(.minutes(5)))
struct IPAddressTests {
    @Test(
        "IPv4 parses and prints canonically",
        arguments: [
            ("0.0.0.0", 0x0000_0000 as UInt32),
            ("255.255.255.255", 0xFFFF_FFFF),
            ("192.0.2.1", 0xC000_0201),
            ("10.0.0.1", 0x0A00_0001),
            ("1.2.3.4", 0x0102_0304),
        ])
    func ipv4(text: String, value: UInt32) throws {
        let address = try IPAddress.literal(text)
        #expect(address.family == .ipv4)
        #expect(address.ipv4Value == value)
        #expect(address.description == text)
        #expect(address == IPAddress(ipv4: value))
    }

    @Test(
        "malformed IPv4 is rejected",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "01.2.3.4", "1.2.3.00", "1..2.3", "1.2.3.",
            ".1.2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-1", "1.2.3.4/8", "a.b.c.d", "1.2.3.1000", "1.2.3.4:80",
            "1234.1.1.1",
        ])
    func malformedIPv4(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(
        "IPv6 parses and prints in RFC 5952 form",
        arguments: [
            ("::", "::"),
            ("::1", "::1"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:DB8::A", "2001:db8::a"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // equal runs: the first is shortened
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run is shortened
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("fe80::", "fe80::"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            ("::1.2.3.4", "::102:304"),  // IPv4-compatible (deprecated): stays IPv6
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),  // NAT64
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
            ("2001:218::", "2001:218::"),
        ])
    func ipv6(text: String, canonical: String) throws {
        let address = try IPAddress.literal(text)
        #expect(address.family == .ipv6)
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(
        "malformed IPv6 is rejected, zone ids included",
        arguments: [
            ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8", "12345::", "g::1", ":1::", "1:", "1::2:", "fe80::1%eth0", "fe80::1%1", "[::1]",
            "::1.2.3", "::1.2.3.4:5", "::ffff:1.2.3.256", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:01.2.3.4",
            " ::1", "::1 ",
        ])
    func malformedIPv6(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("IPv4-mapped IPv6 normalises to IPv4")
    func mapped() throws {
        let mapped = try IPAddress.literal("::ffff:192.0.2.1")
        #expect(mapped.family == .ipv4)
        #expect(mapped == IPAddress(192, 0, 2, 1))
        #expect(mapped.description == "192.0.2.1")
        #expect(try IPAddress.literal("::FFFF:c000:0201") == mapped)
        #expect(try IPAddress.literal("0:0:0:0:0:ffff:192.0.2.1") == mapped)
        #expect(mapped.ipv6Value == 0xFFFF_C000_0201)
        #expect(IPAddress(ipv6: 0xFFFF_C000_0201) == mapped)
        // Only ::ffff:0:0/96 is mapped: its neighbours stay IPv6.
        #expect(try IPAddress.literal("::fffe:192.0.2.1").family == .ipv6)
        #expect(try IPAddress.literal("1::ffff:192.0.2.1").family == .ipv6)
    }

    @Test("parses from substrings and byte buffers without copying")
    func otherInputs() throws {
        let header = "for=203.0.113.9;proto=https"
        let start = header.index(header.startIndex, offsetBy: 4)
        let end = try #require(header.firstIndex(of: ";"))
        #expect(IPAddress(header[start..<end]) == IPAddress(203, 0, 113, 9))
        #expect(IPAddress(header[...]) == nil)

        let bytes = Array("2001:db8::7".utf8)
        let parsed = bytes.withUnsafeBufferPointer { IPAddress(utf8: $0) }
        #expect(parsed == IPAddress("2001:db8::7"))

        let raw: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07]
        #expect(IPAddress(ipv6Bytes: raw) == parsed)
        #expect(IPAddress(ipv6Bytes: raw.dropLast()) == nil)
    }

    @Test("orders IPv4 before IPv6, then numerically")
    func ordering() throws {
        let sorted = try ["2001:db8::1", "10.0.0.2", "::1", "10.0.0.1"].map { try IPAddress.literal($0) }.sorted()
        #expect(sorted.map(\.description) == ["10.0.0.1", "10.0.0.2", "::1", "2001:db8::1"])
    }

    @Test("printing and parsing round-trip for many addresses")
    func roundTrip() throws {
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<20_000 {
            let v4 = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
            #expect(IPAddress(v4.description) == v4)
            // Zero out random groups so that `::` appears in many positions.
            var value = UInt128(random.next()) << 64 | UInt128(random.next())
            let zeroMask = random.next()
            for group in 0..<8 where zeroMask >> UInt64(group) & 1 == 1 {
                value &= ~(UInt128(0xFFFF) << UInt128(16 * group))
            }
            let v6 = IPAddress(ipv6: value)
            let text = v6.description
            #expect(IPAddress(text) == v6, "\(text)")
            #expect(!text.contains(":::"))
        }
    }
}

/// A small deterministic generator, so a failing case can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
