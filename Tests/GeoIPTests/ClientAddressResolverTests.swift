import GeoIP
import Testing

@Suite("ClientAddressResolver", .timeLimit(.minutes(5)))
struct ClientAddressResolverTests {
    /// Proxies in 10/8, 192.168/16, one IPv6 /48 and loopback; clients use the documentation ranges.
    static func makeResolver(clientIPHeaderName: String? = nil) throws -> ClientAddressResolver {
        ClientAddressResolver(
            configuration: try .init(
                parsingTrustedProxies: ["10.0.0.0/8", "192.168.0.0/16", "2001:db8:ffff::/48", "127.0.0.1"],
                clientIPHeaderName: clientIPHeaderName))
    }

    static let proxy = IPAddress(10, 0, 0, 1)

    func resolve(
        peer: IPAddress = proxy,
        xff: [String] = [],
        forwarded: [String] = [],
        header: String? = nil,
        headerName: String? = "CF-Connecting-IP"
    ) throws -> ClientAddressResolver.Resolution {
        try Self.makeResolver(clientIPHeaderName: headerName)
            .resolve(peer: peer, xForwardedFor: xff, forwarded: forwarded, clientIPHeader: header)
    }

    // MARK: - Trust

    @Test("an untrusted peer is the client whatever the headers say")
    func untrustedPeerCannotSpoof() throws {
        let attacker = IPAddress(198, 51, 100, 66)
        let resolution = try resolve(
            peer: attacker, xff: ["1.2.3.4", "10.0.0.5"], forwarded: ["for=5.6.7.8"], header: "9.9.9.9")
        #expect(resolution == .init(address: attacker, source: .peer))
    }

    @Test("a trusted peer with no headers is the client")
    func trustedPeerWithoutHeaders() throws {
        #expect(try resolve() == .init(address: Self.proxy, source: .peer))
        #expect(try resolve(xff: [""], forwarded: [""]) == .init(address: Self.proxy, source: .peer))
    }

    @Test("an IPv4-mapped peer is matched against IPv4 blocks")
    func mappedPeer() throws {
        let mappedProxy = try IPAddress.literal("::ffff:10.0.0.1")
        #expect(
            try resolve(peer: mappedProxy, xff: ["203.0.113.7"])
                == .init(address: IPAddress(203, 0, 113, 7), source: .xForwardedFor))
        let mappedClient = try IPAddress.literal("::ffff:203.0.113.1")
        let resolution = try resolve(peer: mappedClient, xff: ["1.2.3.4"])
        #expect(resolution.source == .peer)
        #expect(resolution.address.description == "203.0.113.1")
    }

    @Test("no trusted proxies means the peer, always")
    func nothingTrusted() throws {
        let resolver = ClientAddressResolver(trustedProxies: [])
        #expect(resolver.resolve(peer: Self.proxy, xForwardedFor: "203.0.113.7").address == Self.proxy)
        #expect(!resolver.isTrusted(Self.proxy))
        #expect(
            ClientAddressResolver(configuration: .init()).resolve(peer: Self.proxy, xForwardedFor: "203.0.113.7").source
                == .peer)
    }

    @Test("an IPv6 block that covers the mapped range trusts IPv4 too")
    func wideIPv6Block() throws {
        let resolver = ClientAddressResolver(trustedProxies: [try CIDR.parse("::/0")])
        #expect(resolver.isTrusted(IPAddress(8, 8, 8, 8)))
        #expect(resolver.isTrusted(try IPAddress.literal("2001:db8::1")))
        let narrow = ClientAddressResolver(trustedProxies: [try CIDR.parse("2001:db8::/32")])
        #expect(!narrow.isTrusted(IPAddress(8, 8, 8, 8)))
    }

    @Test("a bad trusted-proxy entry is reported by name")
    func badConfiguration() {
        let error = #expect(throws: GeoIPError.self) {
            try ClientAddressResolver.Configuration(parsingTrustedProxies: ["10.0.0.0/8", "10.0.0.0/40"])
        }
        #expect(error?.code == .invalidCIDR)
        #expect(error?.message.contains("'10.0.0.0/40'") == true)
    }

    // MARK: - Single-address header

    @Test("the configured single-address header wins when valid")
    func clientIPHeader() throws {
        #expect(
            try resolve(xff: ["203.0.113.7"], header: "198.51.100.20")
                == .init(address: IPAddress(198, 51, 100, 20), source: .clientIPHeader))
        #expect(
            try resolve(header: " 2001:db8::20 ")
                == .init(address: try IPAddress.literal("2001:db8::20"), source: .clientIPHeader))
        // Invalid or absent: fall through to X-Forwarded-For.
        #expect(try resolve(xff: ["203.0.113.7"], header: "nonsense").source == .xForwardedFor)
        #expect(try resolve(xff: ["203.0.113.7"], header: nil).source == .xForwardedFor)
        // Not configured: a value passed anyway is ignored.
        #expect(try resolve(xff: ["203.0.113.7"], header: "198.51.100.20", headerName: nil).source == .xForwardedFor)
    }

    // MARK: - X-Forwarded-For

    @Test(
        "X-Forwarded-For gives the right-most untrusted address",
        arguments: [
            (["203.0.113.7"], "203.0.113.7"),
            // A client-supplied (spoofed) left part is ignored behind two trusted hops.
            (["198.51.100.1, 203.0.113.7, 10.0.0.5"], "203.0.113.7"),
            (["198.51.100.1,203.0.113.7,192.168.1.1,10.0.0.5"], "203.0.113.7"),
            // All trusted: the left-most.
            (["10.0.0.9, 10.0.0.5"], "10.0.0.9"),
            // Several field lines form one list, in order.
            (["198.51.100.1", "203.0.113.7, 10.0.0.5"], "203.0.113.7"),
            (["203.0.113.7", "10.1.1.1", "192.168.0.3"], "203.0.113.7"),
            (["10.0.0.9", "10.0.0.5"], "10.0.0.9"),
            // Malformed entries are skipped.
            (["203.0.113.7, garbage, , 10.0.0.5"], "203.0.113.7"),
            (["203.0.113.7, 10.0.0.5, 999.1.1.1"], "203.0.113.7"),
            (["unknown, 10.0.0.5"], "10.0.0.5"),
            // Spaces, tabs, ports and brackets.
            ([" \t203.0.113.7 \t,\t10.0.0.5 "], "203.0.113.7"),
            (["203.0.113.7:5555, 10.0.0.5:80"], "203.0.113.7"),
            (["[2001:db8::1]:443, 10.0.0.5"], "2001:db8::1"),
            (["[2001:db8::1], 10.0.0.5"], "2001:db8::1"),
            (["2001:db8::1, 2001:db8:ffff::2"], "2001:db8::1"),
            // IPv4-mapped entries are IPv4, trusted or not.
            (["::ffff:203.0.113.7, ::ffff:10.0.0.5"], "203.0.113.7"),
        ])
    func xForwardedFor(lines: [String], expected: String) throws {
        let resolution = try resolve(xff: lines)
        #expect(resolution == .init(address: try IPAddress.literal(expected), source: .xForwardedFor))
    }

    @Test("X-Forwarded-For behind an IPv6 proxy chain")
    func ipv6Chain() throws {
        let resolution = try resolve(
            peer: try IPAddress.literal("2001:db8:ffff::1"), xff: ["2001:db8:1::5, 2001:db8:ffff::2"])
        #expect(resolution == .init(address: try IPAddress.literal("2001:db8:1::5"), source: .xForwardedFor))
    }

    @Test("X-Forwarded-For with nothing usable falls through to Forwarded, then the peer")
    func xffFallthrough() throws {
        #expect(
            try resolve(xff: ["garbage, ,"], forwarded: ["for=192.0.2.43"])
                == .init(address: IPAddress(192, 0, 2, 43), source: .forwarded))
        #expect(try resolve(xff: ["garbage"]) == .init(address: Self.proxy, source: .peer))
        // X-Forwarded-For is preferred when both are usable.
        #expect(try resolve(xff: ["203.0.113.7"], forwarded: ["for=192.0.2.43"]).source == .xForwardedFor)
    }

    @Test("single-line convenience form")
    func convenience() throws {
        let resolver = try Self.makeResolver()
        #expect(
            resolver.resolve(peer: Self.proxy, xForwardedFor: "198.51.100.1, 203.0.113.7").address
                == IPAddress(203, 0, 113, 7))
        #expect(resolver.resolve(peer: Self.proxy, forwarded: "for=192.0.2.43").address == IPAddress(192, 0, 2, 43))
        #expect(resolver.resolve(peer: Self.proxy) == .init(address: Self.proxy, source: .peer))
        // Substrings work in place.
        let header = "X-Forwarded-For: 203.0.113.9"
        let value = header[header.index(header.startIndex, offsetBy: 17)...]
        #expect(
            resolver.resolve(peer: Self.proxy, xForwardedFor: [value], forwarded: [Substring](), clientIPHeader: nil)
                .address == IPAddress(203, 0, 113, 9))
    }

    // MARK: - Forwarded

    @Test(
        "Forwarded for= nodes, walked from the right",
        arguments: [
            (["for=192.0.2.60;proto=http;by=203.0.113.43"], "192.0.2.60"),
            (["For=\"[2001:db8:cafe::17]:4711\""], "2001:db8:cafe::17"),
            (["for=\"[2001:db8:cafe::17]\""], "2001:db8:cafe::17"),
            (["for=\"192.0.2.43:80\""], "192.0.2.43"),
            (["for=192.0.2.43:80"], "192.0.2.43"),
            (["FOR=192.0.2.1"], "192.0.2.1"),
            (["proto=https;for=192.0.2.1;host=example.com"], "192.0.2.1"),
            (["for=198.51.100.1, for=192.0.2.43, for=10.0.0.5"], "192.0.2.43"),
            (["for=198.51.100.1", "for=192.0.2.43;proto=https, for=10.0.0.5"], "192.0.2.43"),
            (["for=192.0.2.43", "for=10.0.0.7", "for=10.0.0.5"], "192.0.2.43"),
            // All trusted: the left-most.
            (["for=10.0.0.9, for=10.0.0.5"], "10.0.0.9"),
            // An untrusted node right of an obfuscated one.
            (["for=_hidden, for=192.0.2.43"], "192.0.2.43"),
            (["for=unknown, for=192.0.2.43, for=10.0.0.5"], "192.0.2.43"),
            // Malformed elements are skipped.
            (["garbage, for=192.0.2.9"], "192.0.2.9"),
            (["for=192.0.2.9, for=192.0.2.1 junk"], "192.0.2.9"),
            (["for=192.0.2.9, for=999.0.0.1"], "192.0.2.9"),
            (["for=192.0.2.9, for=\"[2001:db8::1]:99999\""], "192.0.2.9"),
            (["for=192.0.2.9, for=\"192.0.2.1\\\"x\""], "192.0.2.9"),
            (["for=192.0.2.9, for=192.0.2.1;for=192.0.2.2"], "192.0.2.9"),
            (["for=192.0.2.1;;proto=http"], "192.0.2.1"),
            (["for=192.0.2.7, ,"], "192.0.2.7"),
            // A comma inside a quoted value does not split elements.
            (["by=\"a,b\";for=192.0.2.7"], "192.0.2.7"),
            (["for=192.0.2.7, by=\"x, for=10.0.0.5\""], "192.0.2.7"),
            // Unbracketed IPv6, which proxies send although RFC 7239 asks for quotes and brackets.
            (["for=2001:db8::5"], "2001:db8::5"),
            (["for=[2001:db8::5]"], "2001:db8::5"),
            (["for=\"[::ffff:192.0.2.8]\""], "192.0.2.8"),
        ])
    func forwarded(lines: [String], expected: String) throws {
        let resolution = try resolve(forwarded: lines)
        #expect(resolution == .init(address: try IPAddress.literal(expected), source: .forwarded))
    }

    @Test(
        "Forwarded walks stop at unknown or obfuscated hops, leaving the peer",
        arguments: [
            ["for=unknown, for=10.0.0.5"],
            ["for=192.0.2.43, for=\"_hidden\", for=10.0.0.5"],
            ["for=\"_gazonk:_port\""],
            ["for=UNKNOWN:80"],
            ["for=192.0.2.43", "for=unknown"],
            // Nothing usable at all.
            ["for=\"unterminated"],
            ["for=192.0.2.1;for=192.0.2.2"],
            ["proto=https;by=203.0.113.43"],
            ["for=_"],
            [""],
        ])
    func forwardedStops(lines: [String]) throws {
        #expect(try resolve(forwarded: lines) == .init(address: Self.proxy, source: .peer))
    }
}
