import GeoIP
import Testing

@Suite("CIDR", .timeLimit(.minutes(5)))
struct CIDRTests {
    @Test(
        "contains exactly the addresses of the block",
        arguments: [
            (
                "10.0.0.0/8", ["10.0.0.0", "10.1.2.3", "10.255.255.255", "::ffff:10.9.9.9"],
                ["11.0.0.0", "9.255.255.255", "::a00:1"]
            ),
            ("192.168.1.0/24", ["192.168.1.1", "192.168.1.255"], ["192.168.2.1", "::ffff:192.168.2.1"]),
            ("203.0.113.7/32", ["203.0.113.7"], ["203.0.113.8"]),
            ("0.0.0.0/0", ["0.0.0.0", "255.255.255.255", "::ffff:1.2.3.4"], ["::1", "2001:db8::1"]),
            ("::1/128", ["::1", "0:0:0:0:0:0:0:1"], ["::2", "::", "127.0.0.1"]),
            (
                "2001:db8::/32", ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:DB8:1::1"],
                ["2001:db9::", "2001:db7:ffff::1"]
            ),
            ("fe80::/10", ["fe80::1", "febf::1"], ["fec0::1"]),
            ("::/0", ["::", "2001:db8::1", "10.0.0.1"], []),
            ("::ffff:0:0/96", ["1.2.3.4", "::ffff:5.6.7.8"], ["::1", "2001:db8::1"]),
        ])
    func contains(block: String, inside: [String], outside: [String]) throws {
        let cidr = try CIDR.parse(block)
        for text in inside {
            #expect(cidr.contains(try IPAddress.literal(text)), "\(block) should contain \(text)")
        }
        for text in outside {
            #expect(!cidr.contains(try IPAddress.literal(text)), "\(block) should not contain \(text)")
        }
    }

    @Test(
        "prints the canonical block",
        arguments: [
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("192.0.2.7", "192.0.2.7/32"),
            ("2001:DB8:0:0::/32", "2001:db8::/32"),
            ("::1", "::1/128"),
            (" 10.0.0.0/16 ", "10.0.0.0/16"),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
            ("::ffff:0:0/96", "0.0.0.0/0"),
            ("2001:db8::1/0", "::/0"),
        ])
    func canonical(text: String, expected: String) throws {
        let cidr = try CIDR.parse(text)
        #expect(cidr.description == expected)
        #expect(CIDR(expected) == cidr)
    }

    @Test(
        "rejects text that is not a block, naming it",
        arguments: [
            "10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0.0/8x", "10.0.0/8", "10.0.0.0/-1", "abc", "",
            "10.0.0.0/0008",
        ])
    func invalid(text: String) {
        #expect(CIDR(text) == nil)
        do {
            _ = try CIDR.parse(text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.code == .invalidCIDR)
            #expect(error.message.contains("'\(text)'"))
        }
    }

    @Test("builds from an address and a prefix length")
    func fromAddress() throws {
        let block = try CIDR(network: IPAddress(172, 16, 5, 4), prefixLength: 12)
        #expect(block.description == "172.16.0.0/12")
        #expect(block.network == IPAddress(172, 16, 0, 0))
        #expect(block.prefixLength == 12)
        #expect(throws: GeoIPError.self) { try CIDR(network: IPAddress(1, 2, 3, 4), prefixLength: 33) }
        #expect(throws: GeoIPError.self) { try CIDR(network: try IPAddress.literal("::1"), prefixLength: 129) }
    }
}
