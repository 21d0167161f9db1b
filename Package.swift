// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "edge-router",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edge-router", targets: ["edge-router"]),
        .library(name: "EdgeRouter", targets: ["EdgeRouter"]),
        .library(name: "RoutingCore", targets: ["RoutingCore"]),
        .library(name: "EdgeWire", targets: ["EdgeWire"]),
        .library(name: "EdgeJSON", targets: ["EdgeJSON"]),
        .library(name: "ProviderSim", targets: ["ProviderSim"]),
        .library(name: "GeoIP", targets: ["GeoIP"]),
        .library(name: "Probe", targets: ["Probe"]),
        .library(name: "RequestLog", targets: ["RequestLog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The module graph points one way: EdgeRouter -> (EdgeWire, RoutingCore, Probe, GeoIP, RequestLog) -> EdgeJSON.
        //
        // JSON for every hot path: a strict pull scanner and a writer, on plain byte buffers (no NIO, no Foundation).
        .target(
            name: "EdgeJSON",
            swiftSettings: swiftSettings
        ),
        // The routing core: the catalog of models and deployments, the TTFT estimator, circuit breakers, the
        // allocation-free decision, hedging, `x-edge-route` and the engine over an immutable snapshot. No NIO, no
        // metrics backend, no probes: it builds, tests and benchmarks on its own.
        .target(
            name: "RoutingCore",
            dependencies: [
                "EdgeJSON",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The wire layer: SSE and the client and provider dialects around the dialect-neutral event stream.
        .target(
            name: "EdgeWire",
            dependencies: [
                "EdgeJSON",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The record of every request: the row written after each request ends, the batching writer off the
        // request path, the SQLite store (GRDB, WAL), spend and request queries, retention.
        .target(
            name: "RequestLog",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                // The fleet sink: every node writes to one PostgreSQL database.
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The router: HTTP server, request pipeline (intake, exchange, response), upstream client, configuration,
        // probes' scheduling, geolocation of clients, metrics.
        .target(
            name: "EdgeRouter",
            dependencies: [
                "EdgeJSON",
                "EdgeWire",
                "RoutingCore",
                "GeoIP",
                "Probe",
                "RequestLog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SIGHUP reloads the configuration (HangupReloadService).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // The router's own HTTP/1 child channel (Server/Connection) is built from these.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // MaxMind's C reader (libmaxminddb), found with pkg-config.
        .systemLibrary(
            name: "CMaxMindDB",
            pkgConfig: "libmaxminddb",
            providers: [.apt(["libmaxminddb-dev"])]
        ),
        // Geolocation: IP parsing, MaxMind lookups with hot reload, who the client is, fleet ranking.
        .target(
            name: "GeoIP",
            dependencies: [
                "CMaxMindDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // libcurl, found with pkg-config; the shim gives its variadic calls fixed types Swift can call.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Background TTFT probes: libcurl's multi interface on one dedicated thread, with network phase timings.
        .target(
            name: "Probe",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A provider simulator that speaks the providers' wire formats, with scriptable latency and faults, on plain
        // SwiftNIO so that it is never the bottleneck of a benchmark.
        .target(
            name: "ProviderSim",
            dependencies: [
                "EdgeJSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `edge-router` command: argument parsing and wiring only.
        .executableTarget(
            name: "edge-router",
            dependencies: [
                "EdgeRouter",
                "ProviderSim",
                "RequestLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EdgeRouterTests",
            dependencies: [
                "EdgeRouter",
                "EdgeJSON",
                "GeoIP",
                "EdgeWire",
                "RoutingCore",
                "ProviderSim",
                "RequestLog",
                "PostgresTestServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Fixtures"],
            // Members only from modules a file imports: GRDB (behind RequestLog) extends sequences of strings
            // with a `joined` that would otherwise turn a test's YAML into SQL.
            swiftSettings: swiftSettings + [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .testTarget(
            name: "EdgeRouterCommandTests",
            dependencies: [
                "edge-router",
                "EdgeRouter",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A throwaway PostgreSQL server for the test targets (not a product).
        .target(
            name: "PostgresTestServer",
            path: "Tests/PostgresTestServer",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RequestLogTests",
            dependencies: [
                "RequestLog",
                "PostgresTestServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EdgeJSONTests",
            dependencies: ["EdgeJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EdgeWireTests",
            dependencies: [
                "EdgeJSON",
                "EdgeWire",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoutingCoreTests",
            dependencies: [
                "RoutingCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GeoIPTests",
            dependencies: [
                "GeoIP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            // The fixtures are read in place through #filePath, so they are not bundle resources.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProbeTests",
            dependencies: [
                "Probe",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProviderSimTests",
            dependencies: [
                "ProviderSim",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
