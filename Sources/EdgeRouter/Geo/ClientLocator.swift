import GeoIP
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RoutingCore

/// Who and where a request's client is, and which residency rule applies to it.
struct ClientPlace: Sendable {
    /// The client's address (the peer, or what a trusted proxy said).
    var address: IPAddress?
    /// Where the database puts it; nil when geolocation is off or the address is not in the database.
    var location: GeoLocation?
    /// The residency rule that applies, if any.
    var rule: ResidencyRule?

    /// `GB; EU`: the value of `x-edge-client-geo`.
    var headerValue: String? {
        guard let location, location.countryISOCode != nil || location.continentCode != nil else { return nil }
        return "\(location.countryISOCode ?? "-"); \(location.continentCode ?? "-")"
    }
}

/// Decides who each client is, where it is, and which residency rule applies.
final class ClientLocator: Sendable {
    let settings: GeoSettings
    let resolver: GeoIPResolver
    private let addresses: ClientAddressResolver
    private let rulesByName: [String: ResidencyRule]
    private let clientIPHeaderName: HTTPField.Name?

    /// Opens the configured databases; a missing, unreadable or corrupt file is an error naming it.
    init(settings: GeoSettings, logger: Logger) throws(GeoIPError) {
        self.settings = settings
        if settings.isGeolocationEnabled {
            resolver = try GeoIPResolver(
                configuration: .init(
                    locationDatabasePath: settings.locationDatabasePath, asnDatabasePath: settings.asnDatabasePath),
                logger: logger)
        } else {
            logger.notice("geolocation is off: no geoip database configured")
            resolver = .disabled(logger: logger)
        }
        addresses = ClientAddressResolver(trustedProxies: settings.trustedProxies, clientIPHeaderName: settings.clientIPHeader)
        rulesByName = Dictionary(settings.residencyRules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        clientIPHeaderName = settings.clientIPHeader.flatMap { HTTPField.Name($0) }
    }

    /// A locator with `settings`' residency rules and fleet, sharing this one's databases and its reading of
    /// client addresses (trusted proxies, client IP header): what a configuration reload can change.
    func replacing(rulesAndFleetOf settings: GeoSettings) -> ClientLocator {
        var kept = self.settings
        kept.residencyRules = settings.residencyRules
        kept.fleet = settings.fleet
        return ClientLocator(settings: kept, resolver: resolver, addresses: addresses)
    }

    private init(settings: GeoSettings, resolver: GeoIPResolver, addresses: ClientAddressResolver) {
        self.settings = settings
        self.resolver = resolver
        self.addresses = addresses
        rulesByName = Dictionary(settings.residencyRules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        clientIPHeaderName = settings.clientIPHeader.flatMap { HTTPField.Name($0) }
    }

    /// The client of a request arriving on `channel` with these headers, under `key`.
    func place(of headers: HTTPFields, channel: any Channel, key: GatewayKey?) -> ClientPlace {
        place(of: headers, peer: Self.peerAddress(of: channel), key: key)
    }

    /// The peer address of a connection, when it is an IP address.
    static func peerAddress(of channel: any Channel) -> IPAddress? {
        channel.remoteAddress.flatMap(Self.ipAddress)
    }

    /// The client of a request from `peer` with these headers, under `key`.
    func place(of headers: HTTPFields, peer: IPAddress?, key: GatewayKey?) -> ClientPlace {
        guard let peer else {
            return ClientPlace(address: nil, location: nil, rule: rule(country: nil, continent: nil, key: key))
        }
        let resolution = addresses.resolve(
            peer: peer,
            xForwardedFor: headers[values: .xForwardedFor],
            forwarded: headers[values: .forwarded],
            clientIPHeader: clientIPHeaderName.flatMap { headers[$0] })
        let location = resolver.locate(resolution.address)
        return ClientPlace(
            address: resolution.address, location: location,
            rule: rule(country: location?.countryISOCode, continent: location?.continentCode, key: key))
    }

    /// The key's own rule first (when it matches), then the global rules in order.
    private func rule(country: String?, continent: String?, key: GatewayKey?) -> ResidencyRule? {
        if let name = key?.residencyRule, let rule = rulesByName[name], rule.matches(country: country, continent: continent) {
            return rule
        }
        return settings.residencyRules.first { $0.matches(country: country, continent: continent) }
    }

    /// The node to suggest to a client at this location, when one is nearer than this node by the margin.
    func nearerNode(for location: GeoLocation?) -> RankedFleetNode? {
        guard let fleet = settings.fleet, let selfNode = fleet.selfNode,
            let latitude = location?.latitude, let longitude = location?.longitude
        else { return nil }
        return GeoIP.nearerNode(
            than: selfNode, byMoreThanKm: fleet.marginKm, from: fleet.nodes, latitude: latitude, longitude: longitude)
    }

    static func ipAddress(_ address: SocketAddress) -> IPAddress? {
        switch address {
        case .v4(let v4):
            return IPAddress(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            return withUnsafeBytes(of: v6.address.sin6_addr) { IPAddress(ipv6Bytes: $0) }
        default:
            return nil
        }
    }
}

extension HTTPTypes.HTTPField.Name {
    static let xForwardedFor = Self("x-forwarded-for")!
    static let forwarded = Self("forwarded")!
    static let edgeClientGeo = Self("x-edge-client-geo")!
    static let edgeNearestNode = Self("x-edge-nearest-node")!
    static let edgeResidency = Self("x-edge-residency")!
}
