// swift-tools-version: 6.2
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which depends on where the repository was cloned.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

// Hot-path microbenchmarks (ordo-one package-benchmark), in a package of their own so that the main package's
// `swift test` never resolves or builds the benchmark tooling and its malloc interposer.
//
// Each benchmark target depends on the smallest library product of the root package that holds what it measures,
// through its ordinary public API: RoutingBenchmarks on `RoutingCore` (the decision, estimator, breaker, hedge
// budget, snapshot cell and the engine's `plan`), DialectBenchmarks on `EdgeWire` (SSE, the OpenAI dialect and
// translation between dialects, which call the `EdgeJSON` scanner and writer across a module boundary, as in the
// router), GeoIPBenchmarks on `GeoIP`, RequestLogBenchmarks on `RequestLog` (SQLite through GRDB). None of them
// builds the router (Hummingbird, AsyncHTTPClient, ...): only the routing scenario, an end-to-end run with real
// servers, depends on `EdgeRouter`.
//
// Run from this folder: `swift package --disable-sandbox benchmark` (all), or
// `swift package --disable-sandbox benchmark --target RoutingBenchmarks` (or `DialectBenchmarks`); the GeoIP
// lookup needs `EDGE_GEOIP_CITY_DB=$PWD/../../data/GeoLite2-City.mmdb` (fetch it with `scripts/fetch-geolite2`).
// `swift package --disable-sandbox benchmark thresholds check --target RoutingBenchmarks --target
// DialectBenchmarks` fails when a benchmark regresses past `Thresholds/` (the allocation counts, exact);
// `scripts/bench` runs it before measuring anything else.
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "edge-router-micro-benchmarks",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "routing-scenario", targets: ["RoutingScenario"])],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The routing issue's acceptance scenario (share to the fastest, outage, recovery, slowdown, hedging).
        .executableTarget(
            name: "RoutingScenario",
            dependencies: [
                .product(name: "EdgeRouter", package: root),
                .product(name: "ProviderSim", package: root),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Scenarios/RoutingScenario",
            swiftSettings: swiftSettings
        ),
        // The routing core: the allocation-free decision, the estimator, the breaker, the hedge budget, a whole
        // request's `plan`, and the snapshot cell beside the atomic one it replaced.
        .executableTarget(
            name: "RoutingBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RoutingCore", package: root),
                // The engine takes a logger; the benchmarks give it one that discards everything.
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/RoutingBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The OpenAI dialect's JSON (chunk scanner, completion writer, request splice) beside the Foundation code
        // it replaced, measured in the same run.
        .executableTarget(
            name: "DialectBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EdgeWire", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/DialectBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GeoIPBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GeoIP", package: root),
            ],
            path: "Benchmarks/GeoIPBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The response cache's key: canonicalising a request body and hashing it (SHA-256), on every cacheable request.
        .executableTarget(
            name: "CacheBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EdgeRouter", package: root),
                .product(name: "RoutingCore", package: root),
            ],
            path: "Benchmarks/CacheBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The request log's write side: SQLite batches, the writer's throughput, and queueing one record.
        .executableTarget(
            name: "RequestLogBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RequestLog", package: root),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/RequestLogBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
