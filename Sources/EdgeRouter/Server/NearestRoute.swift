import Foundation
import GeoIP
import Hummingbird
import NIOCore

/// `GET /v1/edge/nearest`: where the caller is, and the fleet's nodes ranked by great-circle distance from it.
struct NearestRoute: Sendable {
    /// The server's current state: its locator holds the residency rules and the fleet a reload may replace.
    let live: LiveState

    func handle(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let locator = live.load().locator
        let place = locator.place(of: request.headers, channel: context.channel, key: context.gatewayKey)
        var client: [String: Any] = ["address": place.address.map { "\($0)" } ?? NSNull()]
        if let location = place.location {
            client["country"] = location.countryISOCode ?? NSNull()
            client["continent"] = location.continentCode ?? NSNull()
            client["subdivision"] = location.subdivisionISOCode ?? NSNull()
            client["city"] = location.cityName ?? NSNull()
            client["latitude"] = location.latitude ?? NSNull()
            client["longitude"] = location.longitude ?? NSNull()
            client["accuracy_radius_km"] = location.accuracyRadiusKm ?? NSNull()
            if let asn = location.asn { client["asn"] = asn }
            if let organization = location.asOrganization { client["as_organization"] = organization }
        }
        var object: [String: Any] = ["client": client, "residency_rule": place.rule?.name ?? NSNull()]
        if let fleet = locator.settings.fleet {
            object["this_node"] = fleet.selfID
            if let latitude = place.location?.latitude, let longitude = place.location?.longitude {
                object["nodes"] = rankNodes(from: fleet.nodes, latitude: latitude, longitude: longitude).map {
                    ["id": $0.node.id, "url": $0.node.url, "distance_km": ($0.distanceKm * 10).rounded() / 10] as [String: Any]
                }
            } else {
                object["nodes"] = fleet.nodes.map { ["id": $0.id, "url": $0.url] }
            }
            object["nearest"] = locator.nearerNode(for: place.location)?.node.url ?? NSNull()
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(
            status: .ok, headers: [.contentType: "application/json", .edgeRequestID: context.requestID],
            body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}
