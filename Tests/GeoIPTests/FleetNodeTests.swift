import GeoIP
import Testing

@Suite("Fleet ranking", .timeLimit(.minutes(5)))
struct FleetNodeTests {
    static let london = (latitude: 51.5074, longitude: -0.1278)
    static let paris = (latitude: 48.8566, longitude: 2.3522)

    static let fleet = [
        FleetNode(id: "sin-1", url: "https://sin-1.example.net", latitude: 1.3521, longitude: 103.8198),
        FleetNode(id: "iad-1", url: "https://iad-1.example.net", latitude: 38.9445, longitude: -77.4558),
        FleetNode(id: "fra-1", url: "https://fra-1.example.net", latitude: 50.1109, longitude: 8.6821),
        FleetNode(
            id: "lhr-1", url: "https://lhr-1.example.net", latitude: london.latitude, longitude: london.longitude),
        FleetNode(id: "cdg-1", url: "https://cdg-1.example.net", latitude: paris.latitude, longitude: paris.longitude),
    ]

    func distance(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
        greatCircleDistanceKm(fromLatitude: a.0, longitude: a.1, toLatitude: b.0, longitude: b.1)
    }

    @Test(
        "known city-pair distances within 1%",
        arguments: [
            // London–Paris ≈ 344 km, New York–Los Angeles ≈ 3936 km, Sydney–Melbourne ≈ 713 km,
            // Paris–Frankfurt ≈ 479 km (published great-circle distances).
            ((51.5074, -0.1278), (48.8566, 2.3522), 344.0),
            ((40.7128, -74.0060), (34.0522, -118.2437), 3936.0),
            ((-33.8688, 151.2093), (-37.8136, 144.9631), 713.0),
            ((48.8566, 2.3522), (50.1109, 8.6821), 479.0),
        ])
    func knownDistances(from: (Double, Double), to: (Double, Double), expectedKm: Double) {
        let km = distance(from, to)
        #expect(abs(km - expectedKm) / expectedKm < 0.01, "\(km) km")
        #expect(abs(distance(to, from) - km) < 1e-9)
    }

    @Test("edge cases: same point, antipodes, the antimeridian, bad input")
    func edgeCases() {
        #expect(distance((12.3, 45.6), (12.3, 45.6)) == 0)
        // Half the circumference: pi * R.
        #expect(abs(distance((0, 0), (0, 180)) - Double.pi * earthMeanRadiusKm) < 1e-6)
        #expect(abs(distance((90, 0), (-90, 0)) - Double.pi * earthMeanRadiusKm) < 1e-6)
        // One degree of the equator across the antimeridian, not 359.
        #expect(abs(distance((0, 179.5), (0, -179.5)) - Double.pi / 180 * earthMeanRadiusKm) < 1e-6)
        #expect(distance((.nan, 0), (0, 0)) == .infinity)
    }

    @Test("ranks nodes nearest first with their distances")
    func ranking() {
        let ranked = rankNodes(from: Self.fleet, latitude: Self.paris.latitude, longitude: Self.paris.longitude)
        #expect(ranked.map(\.node.id) == ["cdg-1", "lhr-1", "fra-1", "iad-1", "sin-1"])
        #expect(ranked[0].distanceKm == 0)
        #expect(abs(ranked[1].distanceKm - 344) / 344 < 0.01)
        #expect(zip(ranked, ranked.dropFirst()).allSatisfy { $0.distanceKm <= $1.distanceKm })
        #expect(rankNodes(from: [FleetNode](), latitude: 0, longitude: 0).isEmpty)
    }

    @Test("equal distances rank by id; nodes at unknown places rank last")
    func ties() {
        let nodes = [
            FleetNode(id: "b", url: "b", latitude: 0, longitude: 10),
            FleetNode(id: "nowhere", url: "n", latitude: .nan, longitude: 0),
            FleetNode(id: "a", url: "a", latitude: 0, longitude: -10),
        ]
        #expect(rankNodes(from: nodes, latitude: 0, longitude: 0).map(\.node.id) == ["a", "b", "nowhere"])
    }

    @Test("a nearer node is suggested only when it is nearer by more than the margin")
    func nearer() throws {
        let lhr = try #require(Self.fleet.first { $0.id == "lhr-1" })
        let cdg = try #require(Self.fleet.first { $0.id == "cdg-1" })
        let fromParis = (Self.paris.latitude, Self.paris.longitude)

        // A Paris client on the London node: Paris is 344 km nearer.
        let suggestion = nearerNode(
            than: lhr, byMoreThanKm: 100, from: Self.fleet, latitude: fromParis.0, longitude: fromParis.1)
        #expect(suggestion?.node == cdg)
        #expect(suggestion?.distanceKm == 0)
        #expect(
            nearerNode(than: lhr, byMoreThanKm: 400, from: Self.fleet, latitude: fromParis.0, longitude: fromParis.1)
                == nil)
        // Already on the nearest node.
        #expect(
            nearerNode(than: cdg, byMoreThanKm: 0, from: Self.fleet, latitude: fromParis.0, longitude: fromParis.1)
                == nil)
        // Self is never suggested, even when it is the only node.
        #expect(
            nearerNode(than: lhr, byMoreThanKm: 0, from: [lhr], latitude: fromParis.0, longitude: fromParis.1) == nil)
    }
}
