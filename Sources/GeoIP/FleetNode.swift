#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One EdgeRouter node of the fleet and where it stands.
public struct FleetNode: Sendable, Hashable, Identifiable {
    /// A stable name for the node (`lhr-1`).
    public var id: String
    /// Where clients reach the node (`https://lhr-1.edge.example.com`).
    public var url: String
    /// Latitude in degrees, -90...90.
    public var latitude: Double
    /// Longitude in degrees, -180...180.
    public var longitude: Double

    /// Creates a node.
    public init(id: String, url: String, latitude: Double, longitude: Double) {
        self.id = id
        self.url = url
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// A node with its distance from a point.
public struct RankedFleetNode: Sendable, Hashable {
    /// The node.
    public let node: FleetNode
    /// Great-circle distance in kilometres (infinite when a coordinate is not a number).
    public let distanceKm: Double

    /// Creates a ranked node.
    public init(node: FleetNode, distanceKm: Double) {
        self.node = node
        self.distanceKm = distanceKm
    }
}

/// The mean Earth radius (IUGG R1) in kilometres, used for great-circle distances.
public let earthMeanRadiusKm = 6371.0088

/// The great-circle (haversine) distance between two points given in degrees, in kilometres.
///
/// The haversine form stays accurate for short distances, where the spherical law of
/// cosines loses precision. A non-finite coordinate gives `.infinity`, so such a node ranks last.
public func greatCircleDistanceKm(
    fromLatitude latitude1: Double, longitude longitude1: Double,
    toLatitude latitude2: Double, longitude longitude2: Double
) -> Double {
    guard latitude1.isFinite, longitude1.isFinite, latitude2.isFinite, longitude2.isFinite else {
        return .infinity
    }
    let radians = Double.pi / 180
    let phi1 = latitude1 * radians
    let phi2 = latitude2 * radians
    let deltaPhi = (latitude2 - latitude1) * radians
    let deltaLambda = (longitude2 - longitude1) * radians
    let sinHalfPhi = sin(deltaPhi / 2)
    let sinHalfLambda = sin(deltaLambda / 2)
    let a = sinHalfPhi * sinHalfPhi + cos(phi1) * cos(phi2) * sinHalfLambda * sinHalfLambda
    // Rounding can push `a` a hair outside 0...1 for antipodal points.
    let clamped = min(max(a, 0), 1)
    return 2 * earthMeanRadiusKm * atan2(clamped.squareRoot(), (1 - clamped).squareRoot())
}

/// Orders `nodes` by great-circle distance from a point, nearest first, with each distance.
/// Equal distances are ordered by node id, so the ranking is deterministic.
public func rankNodes(
    from nodes: some Sequence<FleetNode>, latitude: Double, longitude: Double
) -> [RankedFleetNode] {
    nodes.map { node in
        RankedFleetNode(
            node: node,
            distanceKm: greatCircleDistanceKm(
                fromLatitude: latitude, longitude: longitude, toLatitude: node.latitude, longitude: node.longitude))
    }
    .sorted { lhs, rhs in
        lhs.distanceKm != rhs.distanceKm ? lhs.distanceKm < rhs.distanceKm : lhs.node.id < rhs.node.id
    }
}

/// The node nearest to a point if it is nearer than `selfNode` by more than `marginKm`,
/// otherwise nil (stay on `selfNode`).
///
/// The margin keeps clients from being redirected for a gain that does not matter (and from
/// bouncing between two nodes at about the same distance). `selfNode` itself is never returned.
public func nearerNode(
    than selfNode: FleetNode,
    byMoreThanKm marginKm: Double,
    from nodes: some Sequence<FleetNode>,
    latitude: Double,
    longitude: Double
) -> RankedFleetNode? {
    let selfDistance = greatCircleDistanceKm(
        fromLatitude: latitude, longitude: longitude, toLatitude: selfNode.latitude, longitude: selfNode.longitude)
    guard
        let best = rankNodes(from: nodes, latitude: latitude, longitude: longitude)
            .first(where: { $0.node.id != selfNode.id })
    else { return nil }
    // With self at an unknown place (infinite distance), any finite node is nearer.
    return best.distanceKm.isFinite && best.distanceKm + marginKm < selfDistance ? best : nil
}
