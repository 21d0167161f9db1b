/// Decides which address a request really comes from, given the socket peer and the
/// forwarding headers, without letting clients spoof it.
///
/// The rules, in order:
/// 1. If the peer is not a trusted proxy, the peer is the client and every header is ignored:
///    anyone can write a header, only a trusted proxy's is believed.
/// 2. The configured single-address header (such as `CF-Connecting-IP` or `True-Client-IP`),
///    if present and a valid address.
/// 3. `X-Forwarded-For`: walking from the right (the entry the nearest proxy added) over every
///    field line, skip trusted proxies and malformed entries; the first untrusted address is the
///    client. If all are trusted, the left-most address is.
/// 4. `Forwarded` (RFC 7239): the same walk over the `for=` nodes (quoted or not, any letter
///    case, with ports and bracketed IPv6); an `unknown` or obfuscated (`_hidden`) node ends the
///    walk, because the hop before it cannot be identified, and the peer is used.
/// 5. Otherwise the peer.
///
/// Work happens on the headers' UTF-8 bytes in place: no allocation for native strings, and
/// well under a microsecond for a few hops.
public struct ClientAddressResolver: Sendable {
    /// Which proxies to believe.
    public struct Configuration: Sendable, Hashable {
        /// The proxies (load balancers, CDNs) whose forwarding headers are believed.
        public var trustedProxies: [CIDR]
        /// The name of a header that carries the client address alone (`CF-Connecting-IP`,
        /// `True-Client-IP`), set by a trusted proxy; nil for none. The resolver does not read
        /// headers itself: the caller passes this header's value to
        /// ``ClientAddressResolver/resolve(peer:xForwardedFor:forwarded:clientIPHeader:)``.
        public var clientIPHeaderName: String?

        /// Creates a configuration.
        public init(trustedProxies: [CIDR] = [], clientIPHeaderName: String? = nil) {
            self.trustedProxies = trustedProxies
            self.clientIPHeaderName = clientIPHeaderName
        }

        /// Creates a configuration from CIDR text (`["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"]`),
        /// as read from a configuration file.
        /// - Throws: ``GeoIPError/Code/invalidCIDR`` naming the first entry that is not a block.
        public init(parsingTrustedProxies texts: [String], clientIPHeaderName: String? = nil) throws(GeoIPError) {
            var blocks: [CIDR] = []
            blocks.reserveCapacity(texts.count)
            for text in texts {
                blocks.append(try CIDR.parse(text))
            }
            self.init(trustedProxies: blocks, clientIPHeaderName: clientIPHeaderName)
        }
    }

    /// Where the client address came from.
    public enum Source: Sendable, Hashable {
        /// The socket peer.
        case peer
        /// The configured single-address header.
        case clientIPHeader
        /// `X-Forwarded-For`.
        case xForwardedFor
        /// `Forwarded`.
        case forwarded
    }

    /// The decision: the client's address and where it came from.
    public struct Resolution: Sendable, Hashable {
        /// The client's address.
        public let address: IPAddress
        /// Where ``address`` came from.
        public let source: Source

        /// Creates a resolution.
        public init(address: IPAddress, source: Source) {
            self.address = address
            self.source = source
        }
    }

    /// The configuration the resolver was made with.
    public let configuration: Configuration

    /// IPv4 blocks (including IPv6 blocks wide enough to cover all of IPv4 through the mapped
    /// form), as plain integers so a trust check is a few instructions per block.
    private let trustedIPv4: [(network: UInt32, mask: UInt32)]
    private let trustedIPv6: [(network: UInt128, mask: UInt128)]

    /// Creates a resolver.
    public init(configuration: Configuration) {
        self.configuration = configuration
        var ipv4: [(network: UInt32, mask: UInt32)] = []
        var ipv6: [(network: UInt128, mask: UInt128)] = []
        for block in configuration.trustedProxies {
            switch block.block {
            case .v4(let network, let mask):
                ipv4.append((network, mask))
            case .v6(let network, let mask):
                ipv6.append((network, mask))
                // IPv6 blocks of /96 or longer inside ::ffff:0:0/96 were already turned into
                // IPv4 blocks by CIDR; a shorter one either covers all of IPv4 or none of it.
                if IPAddress.mappedPrefix & mask == network {
                    ipv4.append((0, 0))
                }
            }
        }
        trustedIPv4 = ipv4
        trustedIPv6 = ipv6
    }

    /// Creates a resolver that trusts `trustedProxies`.
    public init(trustedProxies: [CIDR], clientIPHeaderName: String? = nil) {
        self.init(configuration: Configuration(trustedProxies: trustedProxies, clientIPHeaderName: clientIPHeaderName))
    }

    /// Whether `address` is one of the trusted proxies.
    public func isTrusted(_ address: IPAddress) -> Bool {
        switch address.storage {
        case .v4(let value):
            for block in trustedIPv4 where value & block.mask == block.network {
                return true
            }
            return false
        case .v6(let value):
            for block in trustedIPv6 where value & block.mask == block.network {
                return true
            }
            return false
        }
    }

    /// Decides the client address.
    ///
    /// Inlinable so that it is specialised for the caller's collection types: unspecialised
    /// generic code would allocate. The byte-level work is in non-generic functions.
    /// - Parameters:
    ///   - peer: The socket peer (an IPv4-mapped address is IPv4 already).
    ///   - xForwardedFor: Every `X-Forwarded-For` field line, in the order received.
    ///   - forwarded: Every `Forwarded` field line, in the order received.
    ///   - clientIPHeader: The value of the configured single-address header, if present.
    @inlinable
    public func resolve<ForwardedFor: BidirectionalCollection, Forwarded: Sequence>(
        peer: IPAddress,
        xForwardedFor: ForwardedFor,
        forwarded: Forwarded,
        clientIPHeader: String?
    ) -> Resolution where ForwardedFor.Element: StringProtocol, Forwarded.Element: StringProtocol {
        guard isTrusted(peer) else {
            return Resolution(address: peer, source: .peer)
        }
        if let clientIPHeader, configuration.clientIPHeaderName != nil,
            let address = ClientAddressResolver.parseClientIPHeader(clientIPHeader)
        {
            return Resolution(address: address, source: .clientIPHeader)
        }

        // X-Forwarded-For: the right-most untrusted entry, else the left-most valid one.
        var xForwardedForWalk = XForwardedForWalk()
        for line in xForwardedFor.reversed() {
            let client = withUTF8Bytes(of: line) { walkXForwardedFor(line: $0, &xForwardedForWalk) }
            if let client {
                return Resolution(address: client, source: .xForwardedFor)
            }
        }
        if let leftmost = xForwardedForWalk.leftmost {
            return Resolution(address: leftmost, source: .xForwardedFor)
        }

        var forwardedWalk = ForwardedWalk()
        for line in forwarded {
            withUTF8Bytes(of: line) { walkForwarded(line: $0, &forwardedWalk) }
        }
        if let address = forwardedWalk.result {
            return Resolution(address: address, source: .forwarded)
        }
        return Resolution(address: peer, source: .peer)
    }

    /// Decides the client address from at most one line of each header.
    public func resolve(
        peer: IPAddress,
        xForwardedFor: String? = nil,
        forwarded: String? = nil,
        clientIPHeader: String? = nil
    ) -> Resolution {
        resolve(
            peer: peer,
            xForwardedFor: CollectionOfOne(xForwardedFor ?? ""),
            forwarded: CollectionOfOne(forwarded ?? ""),
            clientIPHeader: clientIPHeader)
    }

    @usableFromInline
    static func parseClientIPHeader(_ value: String) -> IPAddress? {
        let node = withUTF8Bytes(of: value) { ForwardingSyntax.parseNode($0, 0, $0.count) }
        if case .address(let address) = node { return address }
        return nil
    }

    /// What the `X-Forwarded-For` walk has seen so far, across field lines.
    @usableFromInline
    struct XForwardedForWalk {
        /// The left-most valid address so far (all of them trusted, or the walk would have ended).
        @usableFromInline var leftmost: IPAddress?

        @usableFromInline init() {}
    }

    /// Walks one `X-Forwarded-For` line from the right; returns the first untrusted address.
    @usableFromInline
    func walkXForwardedFor(line bytes: UnsafeBufferPointer<UInt8>, _ walk: inout XForwardedForWalk) -> IPAddress? {
        var end = bytes.count
        while end >= 0 {
            var start = end
            while start > 0, bytes[start - 1] != ForwardingSyntax.comma { start -= 1 }
            // `unknown` and obfuscated names are not addresses here: skipped like any
            // malformed entry.
            if case .address(let address) = ForwardingSyntax.parseNode(bytes, start, end) {
                if !isTrusted(address) { return address }
                walk.leftmost = address
            }
            end = start - 1
        }
        return nil
    }

    /// The `Forwarded` walk. It runs left to right, because quoted strings can only be parsed
    /// in that direction, and gives the right-to-left answer by keeping the last untrusted
    /// address seen, forgetting it when an `unknown`/obfuscated node follows.
    @usableFromInline
    struct ForwardedWalk {
        @usableFromInline var candidate: IPAddress?
        @usableFromInline var stopped = false
        @usableFromInline var leftmost: IPAddress?

        @usableFromInline init() {}

        /// The right-most untrusted address; else, unless the walk was stopped, the left-most.
        @usableFromInline var result: IPAddress? {
            if let candidate { return candidate }
            return stopped ? nil : leftmost
        }
    }

    @usableFromInline
    func walkForwarded(line bytes: UnsafeBufferPointer<UInt8>, _ walk: inout ForwardedWalk) {
        ForwardingSyntax.forEachForwardedFor(bytes) { node in
            switch node {
            case .address(let address):
                if walk.leftmost == nil { walk.leftmost = address }
                if !isTrusted(address) {
                    walk.candidate = address
                    walk.stopped = false
                }
            case .hidden:
                walk.candidate = nil
                walk.stopped = true
            case .invalid:
                break
            }
        }
    }
}
