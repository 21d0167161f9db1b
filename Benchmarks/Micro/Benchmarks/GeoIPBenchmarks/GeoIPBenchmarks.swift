import Benchmark
import GeoIP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The request path's geolocation work: decide the client address behind a trusted proxy
/// (two-hop `X-Forwarded-For`), then look it up in the real GeoLite2 City database.
///
/// The database comes from `EDGE_GEOIP_CITY_DB` (fetch it with `scripts/fetch-geolite2`);
/// without it only the client-address benchmark runs. Targets: about 2 µs median for the
/// whole path and no allocation beyond the result (whose short strings are inline).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 10_000)

    let clients = ClientAddressResolver(
        trustedProxies: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"].compactMap { CIDR($0) })
    let peer = IPAddress(10, 0, 0, 1)
    // Client, then the edge load balancer; the socket peer is the ingress proxy.
    let forwardedFor = ["81.2.69.142, 10.1.2.3"]
    let noForwarded: [String] = []

    Benchmark("client address (trusted peer, 2-hop XFF)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(
                clients.resolve(peer: peer, xForwardedFor: forwardedFor, forwarded: noForwarded, clientIPHeader: nil))
        }
    }

    guard let path = getenv("EDGE_GEOIP_CITY_DB").map({ String(cString: $0) }), !path.isEmpty else {
        print("GeoIPBenchmarks: EDGE_GEOIP_CITY_DB is not set; skipping the City lookup benchmarks")
        print("GeoIPBenchmarks: run scripts/fetch-geolite2 and point EDGE_GEOIP_CITY_DB at data/GeoLite2-City.mmdb")
        return
    }
    let database: GeoIPDatabase
    do {
        database = try GeoIPDatabase(path: path)
    } catch {
        print("GeoIPBenchmarks: skipping the City lookup benchmarks: \(error)")
        return
    }
    let client = clients.resolve(peer: peer, xForwardedFor: forwardedFor, forwarded: noForwarded, clientIPHeader: nil)
        .address
    // Measuring a miss would flatter the numbers: make sure the address is in the database.
    guard let location = try? database.lookup(client), location.countryISOCode != nil else {
        print("GeoIPBenchmarks: \(client) is not in \(path); skipping the City lookup benchmarks")
        return
    }
    print("GeoIPBenchmarks: \(client) is \(location.cityName ?? "?"), \(location.countryISOCode ?? "?") in \(path)")

    Benchmark("City lookup (\(database.metadata.databaseType))") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? database.lookup(client))
        }
    }

    Benchmark("client address + City lookup") { benchmark in
        for _ in benchmark.scaledIterations {
            let resolution = clients.resolve(
                peer: peer, xForwardedFor: forwardedFor, forwarded: noForwarded, clientIPHeader: nil)
            blackHole(try? database.lookup(resolution.address))
        }
    }
}
