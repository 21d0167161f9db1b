import EdgeRouter
import Foundation
import GeoIP
import NIOHTTP1
import ProviderSim
import Testing

/// The metric catalogue (`MetricNames`) against what `/metrics` really exports, the deploy kit's dashboards and
/// rules against the catalogue, and the gauges read at scrape time (readiness, TTFT estimates, GeoIP build time).
@Suite("Metric names: catalogue, deploy kit and scrape-time gauges", .timeLimit(.minutes(3)))
struct MetricCatalogueTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Geolocation (the GeoIP gauge), probes (the probe metrics), the request log and two deployments: every metric
    /// has a series.
    static func yaml(_ ports: [Int], database: String = GeoRoutingTests.cityDB) -> String {
        GeoRoutingTests.yaml(ports: ports, database: database) + """

            probes:
              interval_ms: 60000
              ready_timeout_ms: 20000
              first_token_timeout_ms: 2000
            log:
              path: "\(FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).sqlite").path)"
            """
    }

    static func scrape(_ harness: RouterHarness) async throws -> String {
        let response = try await harness.send("/metrics", method: .GET, headers: [])
        #expect(response.status == 200)
        return response.body
    }

    /// The value of the first series line that starts with `series` (name and labels as rendered), if any.
    static func value(_ metrics: String, _ series: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("every metric of MetricNames.all appears in a scrape of a router with probes and GeoIP, with the same kind, and the scrape has no edge_ metric the catalogue lacks")
    func catalogueMatchesScrape() async throws {
        try await RouterHarness.run(sims: [GeoRoutingTests.fast, GeoRoutingTests.fast], yaml: { Self.yaml($0) }) { harness in
            let metrics = try await Self.scrape(harness)
            var exported: [String: String] = [:]
            for line in metrics.split(separator: "\n") where line.hasPrefix("# TYPE edge_") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { exported[String(parts[2])] = String(parts[3]) }
            }
            let catalogue = Dictionary(uniqueKeysWithValues: MetricNames.all.map { metric -> (String, String) in
                switch metric.kind {
                case .counter: (metric.name, "counter")
                case .gauge: (metric.name, "gauge")
                case .histogram: (metric.name, "histogram")
                }
            })
            #expect(exported == catalogue)
        }
    }

    @Test("every edge_ name in deploy/grafana and deploy/prometheus (dashboard, rules, rule tests) is a series the router exports")
    func deployKitUsesExportedNames() throws {
        let report = try MetricReferences.check(directory: Self.repository.appendingPathComponent("deploy"))
        #expect(report.files.contains { $0.hasSuffix("grafana/edge-router-fleet.json") })
        #expect(report.files.contains { $0.hasSuffix("prometheus/edge-router.alerts.yaml") })
        #expect(report.files.contains { $0.hasSuffix("prometheus/edge-router.rules.yaml") })
        #expect(Set(report.references.map(\.name)).count >= 25)
        #expect(report.unknown.isEmpty, "\(report.unknown.map { "\($0.file):\($0.line) \($0.name)" })")
    }

    @Test("the name scanner: histogram series only for histograms, recording-rule names skipped, longer identifiers ignored")
    func scannerRules() {
        let text = """
            expr: histogram_quantile(0.9, rate(edge_time_to_first_token_seconds_bucket[5m]))
            record: edge:deployment_ttft_seconds:p90_5m
            other: knowledge_base and EDGE_KEY and my_edge_thing and x:edge_requests_total:rate5m
            bad: edge_client_connections + edge_no_such_metric_total
            """
        let found = MetricReferences.names(in: text)
        #expect(found.map(\.name) == ["edge_time_to_first_token_seconds_bucket", "edge_client_connections", "edge_no_such_metric_total"])
        #expect(found.map(\.line) == [1, 4, 4])
        #expect(MetricReferences.isExported("edge_time_to_first_token_seconds_bucket"))
        #expect(MetricReferences.isExported("edge_time_to_first_token_seconds"))
        #expect(MetricReferences.isExported("edge_client_connections_count"))
        // A gauge whose name ends in _count has no base series.
        #expect(!MetricReferences.isExported("edge_client_connections"))
        #expect(!MetricReferences.isExported("edge_requests_total_bucket"))
        #expect(!MetricReferences.isExported("edge_no_such_metric_total"))
    }

    @Test("edge_node_ready is 1 once ready; edge_ttft_estimate_seconds is NaN before a deployment's first sample and its estimate after")
    func scrapeTimeGauges() async throws {
        try await RouterHarness.run(
            sims: [ChatStreamingTests.fastSim(), ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }
        ) { harness in
            let before = try await Self.scrape(harness)
            #expect(Self.value(before, "edge_node_ready") == 1)
            let cold = try #require(Self.value(before, #"edge_ttft_estimate_seconds{model="m",provider="p0",stat="expected"}"#))
            #expect(cold.isNaN)
            for _ in 0..<3 {
                #expect(try await harness.chat(model: "p0/m", stream: false).status == 200)
            }
            let after = try await Self.scrape(harness)
            for stat in ["expected", "p50", "p90", "p99"] {
                let estimate = try #require(Self.value(after, #"edge_ttft_estimate_seconds{model="m",provider="p0",stat="\#(stat)"}"#))
                #expect(estimate > 0 && estimate < 5, "\(stat): \(estimate)")
            }
            #expect(Self.value(after, #"edge_ttft_estimate_seconds{model="m",provider="p1",stat="expected"}"#)?.isNaN == true)
        }
    }

    /// Copies a MaxMind DB with its `build_epoch` moved by `seconds`. In the metadata map the key is followed by a
    /// uint64 stored in 4 bytes (control bytes 0x04 0x02, the MaxMind DB format's extended type 9 with size 4).
    static func shiftBuildEpoch(of source: String, by seconds: UInt32, to destination: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        let marker = Array("build_epoch".utf8) + [0x04, 0x02]
        let start = try #require(
            (0...(bytes.count - marker.count - 4)).reversed().first { bytes[$0..<($0 + marker.count)].elementsEqual(marker) })
            + marker.count
        let epoch = bytes[start..<(start + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } + seconds
        for index in 0..<4 { bytes[start + index] = UInt8(truncatingIfNeeded: epoch >> (24 - 8 * index)) }
        try Data(bytes).write(to: URL(fileURLWithPath: destination))
    }

    @Test("edge_geoip_database_build_timestamp_seconds{database=\"location\"} is the loaded database's build time, then the new file's after a hot reload")
    func geoIPBuildTime() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("edge-geo-metric-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let live = folder.appendingPathComponent("city.mmdb")
        try FileManager.default.copyItem(atPath: GeoRoutingTests.cityDB, toPath: live.path)
        // MaxMind's usable test databases were all built at the same second: the replacement is the same database
        // with its build time a day later, written into its metadata in place (same length, so still valid).
        let replacement = folder.appendingPathComponent("city-next-day.mmdb").path
        try Self.shiftBuildEpoch(of: GeoRoutingTests.cityDB, by: 86_400, to: replacement)
        let first = Double(try GeoIPDatabase(path: GeoRoutingTests.cityDB).metadata.buildEpoch)
        let second = Double(try GeoIPDatabase(path: replacement).metadata.buildEpoch)
        try #require(second == first + 86_400)

        try await RouterHarness.run(
            sims: [GeoRoutingTests.fast, GeoRoutingTests.fast], yaml: { GeoRoutingTests.yaml(ports: $0, database: live.path) }
        ) { harness in
            let series = #"edge_geoip_database_build_timestamp_seconds{database="location"}"#
            #expect(Self.value(try await Self.scrape(harness), series) == first)
            #expect(Self.value(try await Self.scrape(harness), #"edge_geoip_database_build_timestamp_seconds{database="asn"}"#) == nil)
            // Replace the file the way geoipupdate does (a new file renamed over the old one); the reloader polls
            // every 20 ms, and each scrape is an observation of the running router: bounded at 400 scrapes.
            let staged = folder.appendingPathComponent("city.mmdb.tmp")
            try FileManager.default.copyItem(atPath: replacement, toPath: staged.path)
            #expect(rename(staged.path, live.path) == 0)
            var seen = first
            for _ in 0..<400 where seen != second {
                seen = Self.value(try await Self.scrape(harness), series) ?? .nan
                if seen != second { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(seen == second)
        }
    }
}
