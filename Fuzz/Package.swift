// swift-tools-version: 6.2
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which depends on where the repository was cloned.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
    .lowercased()

// libFuzzer targets for the parsers that read outside input, in a package of their own so that the main package's
// `swift build` and `swift test` never build them. Build and run with `scripts/fuzz` from the repository root
// (`swift build --sanitize=fuzzer` here: every module, the router's included, gets libFuzzer's coverage
// instrumentation, and each target's `LLVMFuzzerTestOneInput` is linked with libFuzzer's `main`).
//
// One file per target, not named main.swift, so that SwiftPM compiles it as a library (no `main` of its own).
// Seed inputs are in Corpus/<target>/, inputs that once failed in Regressions/<target>/.
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "edge-router-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The JSON scanner (every value read, or skipped) and the readers built on it: the OpenAI request parser and
        // the `x-edge-route` header.
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [
                .product(name: "EdgeJSON", package: root),
                .product(name: "EdgeWire", package: root),
                .product(name: "RoutingCore", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SSE parser, each dialect's stream decoder, answer assemblers and stream encoders, on upstream bytes.
        .executableTarget(
            name: "FuzzSSE",
            dependencies: [
                .product(name: "EdgeJSON", package: root),
                .product(name: "EdgeWire", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Responses API request reader, and the stream encoder and assembler that answer it.
        .executableTarget(
            name: "FuzzResponses",
            dependencies: [
                .product(name: "EdgeJSON", package: root),
                .product(name: "EdgeWire", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The stream decoder and answer reader of a provider that speaks the Responses API natively, and every
        // client dialect's encoder and assembler fed what they decode.
        .executableTarget(
            name: "FuzzResponsesStream",
            dependencies: [
                .product(name: "EdgeJSON", package: root),
                .product(name: "EdgeWire", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // X-Forwarded-For, Forwarded and client-IP header parsing, and IP/CIDR text.
        .executableTarget(
            name: "FuzzForwarding",
            dependencies: [.product(name: "GeoIP", package: root)],
            swiftSettings: swiftSettings
        ),
        // The accounting's outside input: `x-edge-metadata`, the body's user fields, spend query parameters.
        .executableTarget(
            name: "FuzzAccounting",
            dependencies: [
                .product(name: "EdgeRouter", package: root),
                .product(name: "RoutingCore", package: root),
            ],
            swiftSettings: swiftSettings
        ),
        // The response cache's Redis replies (RESP2), the cached answers read from them, and request bodies' keys.
        .executableTarget(
            name: "FuzzRESP",
            dependencies: [
                .product(name: "EdgeRouter", package: root),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "RoutingCore", package: root),
            ],
            swiftSettings: swiftSettings
        ),
        // The YAML configuration loader.
        .executableTarget(
            name: "FuzzConfig",
            dependencies: [.product(name: "EdgeRouter", package: root)],
            swiftSettings: swiftSettings
        ),
    ]
)
