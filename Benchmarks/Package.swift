// swift-tools-version: 6.1
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which depends on where the repository was cloned.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
    .lowercased()

// EdgeRouter's benchmarks, kept in a package of their own so that the main package's `swift build` and
// `swift test` never resolve or compile what only benchmarks need.
//
// Layout:
// - Sources/EdgeLoadCore: the open-loop load generator (schedule, HTTP/1.1 connections, SSE timing, HDR
//   histograms, /proc sampling, the JSON report). A library so its parsers are unit-tested and can be
//   micro-benchmarked.
// - Sources/EdgeLoad: the `edge-load` command (argument parsing only).
// - Sources/BenchReport: the `bench-report` command that turns a run's JSON results into docs/benchmarks.md
//   (tested in Tests/BenchReportTests on results folders the tests write).
// - Micro/: a package of its own for the ordo-one `package-benchmark` micro-benchmarks of the router's hot paths
//   (on the RoutingCore, EdgeWire and GeoIP libraries) and the routing acceptance scenario (on EdgeRouter), with
//   the malloc interposer, none of which this package needs.
//
// `scripts/bench` at the repository root builds this package and runs edge-load and bench-report.

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "edge-router-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "edge-load", targets: ["EdgeLoad"]),
        .executable(name: "bench-report", targets: ["BenchReport"]),
        .library(name: "EdgeLoadCore", targets: ["EdgeLoadCore"]),
    ],
    dependencies: [
        // The router's JSON scanner only (the load generator reads the servers' chunks with it).
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "EdgeLoadCore",
            dependencies: [
                .product(name: "EdgeJSON", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "EdgeLoad",
            dependencies: [
                "EdgeLoadCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BenchReport",
            dependencies: [
                "EdgeLoadCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EdgeLoadCoreTests",
            dependencies: ["EdgeLoadCore"],
            swiftSettings: swiftSettings
        ),
        // The report's reading of a results folder and its judgements, on folders the tests write.
        .testTarget(
            name: "BenchReportTests",
            dependencies: ["BenchReport", "EdgeLoadCore"],
            swiftSettings: swiftSettings
        ),
    ]
)
