import Foundation
import Testing

@testable import EdgeRouter

/// The status page's parts on their own: the history ring, the sessions, escaping, the chart and rates.
@Suite("Status page parts")
struct StatusUnitTests {
    static func sample(at: ContinuousClock.Instant, expectedMs: UInt64 = 100, breaker: Int = 0, decisions: Int = 0) -> StatusSample {
        StatusSample(
            at: at, hasEstimate: true, expectedNanos: expectedMs * 1_000_000, p50Nanos: expectedMs * 1_000_000,
            p90Nanos: expectedMs * 2_000_000, p99Nanos: expectedMs * 3_000_000, breakerCode: breaker, decisions: decisions, failovers: 0,
            modelHedges: 0)
    }

    @Test("the history ring keeps the newest `capacity` samples in order, and the baseline is the newest at least a minute old")
    func historyRing() {
        let start = ContinuousClock.now
        var ring = HistoryRing(capacity: 4)
        for index in 0..<10 { ring.append(Self.sample(at: start + .seconds(10 * index), decisions: index)) }
        #expect(ring.count == 4)
        #expect(ring.samples.map(\.decisions) == [6, 7, 8, 9])
        #expect(ring.baseline(notAfter: start + .seconds(75))?.decisions == 7)
        // Nothing that old: the oldest sample is the baseline.
        #expect(ring.baseline(notAfter: start)?.decisions == 6)
        #expect(HistoryRing(capacity: 3).baseline(notAfter: start) == nil)
    }

    @Test("the history holds 15 minutes at 10 s intervals plus the first sample")
    func historyCapacity() {
        #expect(StatusSettings().historyCapacity == 91)
    }

    @Test("sessions: 64 hex digits each, valid until revoked or expired; the oldest goes when the table is full")
    func sessions() async throws {
        let sessions = StatusSessions(lifetime: .seconds(3600), limit: 2)
        let first = sessions.create()
        #expect(first.count == 64 && first.allSatisfy(\.isHexDigit))
        #expect(sessions.isValid(first))
        #expect(!sessions.isValid(String(repeating: "0", count: 64)))
        sessions.revoke(first)
        #expect(!sessions.isValid(first))
        let second = sessions.create()
        let third = sessions.create()
        let fourth = sessions.create()
        #expect(Set([second, third, fourth]).count == 3)
        #expect(!sessions.isValid(second) && sessions.isValid(third) && sessions.isValid(fourth))
        let shortLived = StatusSessions(lifetime: .milliseconds(1), limit: 4)
        let expiring = shortLived.create()
        try await Task.sleep(for: .milliseconds(5))
        #expect(!shortLived.isValid(expiring))
    }

    @Test("escaping replaces the five HTML-significant characters and nothing else")
    func escaping() {
        #expect(HTMLText.escape(#"<a href="x">'&'</a> é"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; é")
        #expect(HTMLText.milliseconds(82.14) == "82.1 ms")
        #expect(HTMLText.milliseconds(1234) == "1.23 s")
        #expect(HTMLText.milliseconds(nil) == "–")
        #expect(HTMLText.format(3, places: 1) == "3.0" && HTMLText.format(-1.25, places: 2) == "-1.25")
        #expect(HTMLText.uptime(3725) == "1 h 2 min")
    }

    @Test("the chart spans the window, scales to a round top, and shades the spans the breaker was open")
    func chart() {
        let now = ContinuousClock.now
        let samples = [
            Self.sample(at: now - .seconds(900)), Self.sample(at: now - .seconds(600), breaker: 1),
            Self.sample(at: now - .seconds(300), breaker: 1), Self.sample(at: now, expectedMs: 150),
        ]
        let chart = StatusChart(samples: samples, now: now, window: .seconds(900))
        #expect(chart.maxMs == 500)  // p99 of the last sample: 450 ms
        #expect(chart.samples == 4)
        #expect(chart.expected.split(separator: " ").first == "0.0,50.0")
        #expect(chart.expected.split(separator: " ").last == "300.0,44.0")
        #expect(chart.open.count == 1)
        #expect(chart.open.first?.x == 100 && chart.open.first?.width == 200)
        #expect(StatusChart.niceCeiling(0.3) == 1 && StatusChart.niceCeiling(120) == 200 && StatusChart.niceCeiling(2400) == 2500)
    }

    @Test("rates are per minute over at least a minute")
    func rates() {
        let now = ContinuousClock.now
        #expect(StatusBoard.perMinute(6, since: now - .seconds(20), now: now) == 6)
        #expect(StatusBoard.perMinute(6, since: now - .seconds(120), now: now) == 3)
        #expect(StatusBoard.perMinute(-1, since: nil, now: now) == 0)
    }

    @Test("the configuration's checksum is the SHA-256 of the file's bytes, as sha256sum prints it")
    func checksum() throws {
        // FIPS 180-2's test vector.
        #expect(
            ConfigurationLoader.checksum(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let yaml = testYAML(ports: [9]) + "\n# a comment changes the file, and so its checksum\n"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("status-checksum-\(UUID().uuidString).yaml")
        try Data(yaml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let loaded = try ConfigurationLoader.load(path: file.path, environment: ["TEST_PROVIDER_KEY": "k"])
        #expect(loaded.checksum == ConfigurationLoader.checksum(of: Array(yaml.utf8)))
        #expect(loaded.checksum != ConfigurationLoader.checksum(of: Array(testYAML(ports: [9]).utf8)))
    }
}
