import Foundation
import Testing

@testable import BenchReport

/// The TLS upstream rows: how a results folder's TLS paths and connection counts are read, the per-unit costs,
/// #18's targets judged with TLS, and the report's "TLS upstreams" section.
@Suite(.timeLimit(.minutes(1)))
struct TLSRowsTests {
    @Test func tlsPathsAreReadWithTheirConnectionCountsAndStayOutOfThePlainPathList() throws {
        let folder = try ResultsFolder(tls: (rates: [1000], levels: [100]))
        try folder.rate("router", 1000, p99: 2, cpuSeconds: 1, connections: 2)
        try folder.rate("router-tls", 1000, p99: 3, succeeded: 4000, cpuSeconds: 1.2, connections: 8)
        try folder.streams("nginx-tls", 100, ttftP99: 61, cpuSeconds: 0.4, connections: 100)
        let set = try ResultSet(directory: folder.url)
        let entry = try #require(set.rateRuns["router-tls"]?[1000])
        #expect(entry.upstreamConnections == 8)
        let handshakes = try #require(entry.handshakesPerRequest)
        #expect(abs(handshakes - 0.002) < 1e-12)
        #expect(set.streamRuns["nginx-tls"]?[100]?.upstreamConnections == 100)
        #expect(set.pathIDs == ["direct", "router", "nginx"])
        #expect(set.info.tls?.twin(of: "router")?.id == "router-tls")
    }

    @Test func aRepeatedStepCountsTheRepeatsConnectionsNotTheFirstTrys() throws {
        let folder = try ResultsFolder(tls: (rates: [2000], levels: []))
        try folder.rate("router-tls", 2000, p99: 50, cpuSeconds: 1, connections: 900)
        try folder.rate("router-tls", 2000, p99: 4, cpuSeconds: 1, connections: 12, retry: true)
        let entry = try #require(try ResultSet(directory: folder.url).rateRuns["router-tls"]?[2000])
        #expect(entry.retried && entry.verdict.held)
        #expect(entry.upstreamConnections == 12)
    }

    @Test func aConnectionCountThatIsNotANonNegativeIntegerIsAReportError() throws {
        let folder = try ResultsFolder(tls: (rates: [1000], levels: []))
        try folder.rate("router-tls", 1000, p99: 3, cpuSeconds: 1)
        try folder.connectionsText("A/router-tls-1000.connections", "twelve")
        #expect(throws: ReportError.self) { try ResultSet(directory: folder.url) }
        try folder.connectionsText("A/router-tls-1000.connections", "-3")
        #expect(throws: ReportError.self) { try ResultSet(directory: folder.url) }
    }

    @Test func cpuIsMicrosecondsOfTheProxyPerRequestAndPerContentDelta() throws {
        let folder = try ResultsFolder(tls: (rates: [1000], levels: [100]))
        try folder.rate("nginx-tls", 1000, p99: 2, succeeded: 4000, cpuSeconds: 0.5)
        try folder.streams("nginx-tls", 100, ttftP99: 61, succeeded: 500, deltasPerStream: 64, cpuSeconds: 0.64)
        let set = try ResultSet(directory: folder.url)
        let perRequest = try #require(set.rateRuns["nginx-tls"]?[1000]?.cpuMicrosPerRequest)
        let perDelta = try #require(set.streamRuns["nginx-tls"]?[100]?.cpuMicrosPerDelta)
        #expect(abs(perRequest - 125) < 1e-9)
        #expect(abs(perDelta - 20) < 1e-9)
        // No count recorded: no handshakes figure rather than a made-up one.
        #expect(set.rateRuns["nginx-tls"]?[1000]?.handshakesPerRequest == nil)
    }

    @Test func kneeAtHalfOfNginxsIsMetAndCPUPerRequestOverTwoAndAHalfTimesIsMissedByTheExcess() throws {
        let folder = try ResultsFolder(tls: (rates: [1000, 2000, 4000], levels: []))
        try folder.rate("router-tls", 1000, p99: 3, succeeded: 4000, cpuSeconds: 1.2)
        try folder.rate("router-tls", 2000, p99: 4, succeeded: 8000, cpuSeconds: 2.4)
        try folder.rate("router-tls", 4000, p99: 90, succeeded: 8000, cpuSeconds: 2.4)
        try folder.rate("nginx-tls", 1000, p99: 1, succeeded: 4000, cpuSeconds: 0.4)
        try folder.rate("nginx-tls", 2000, p99: 1, succeeded: 8000, cpuSeconds: 0.8)
        try folder.rate("nginx-tls", 4000, p99: 2, succeeded: 16000, cpuSeconds: 1.6)
        let targets = try tlsTargets(folder)
        let knee = targets.knee()
        #expect(knee.measured.contains("EdgeRouter 2,000/s, nginx 4,000/s"))
        #expect(knee.verdict.hasPrefix("met"))
        // nginx held the top rate offered: its real knee may be higher, and the verdict says so.
        #expect(knee.verdict.contains("flatters EdgeRouter"))
        let cpu = targets.cpuPerRequest()
        #expect(cpu.measured.contains("at 2,000/s") && cpu.measured.contains("300 vs 100 µs = 3.00×"))
        #expect(cpu.verdict == "missed by 1.20×")
    }

    @Test func kneeBelowHalfOfNginxsIsMissedByTheShortfall() throws {
        let folder = try ResultsFolder(tls: (rates: [1000, 4000, 8000], levels: []))
        try folder.rate("router-tls", 1000, p99: 3, cpuSeconds: 1)
        try folder.rate("router-tls", 4000, p99: 40, cpuSeconds: 1)
        try folder.rate("nginx-tls", 1000, p99: 1, cpuSeconds: 0.5)
        try folder.rate("nginx-tls", 4000, p99: 1, cpuSeconds: 0.5)
        try folder.rate("nginx-tls", 8000, p99: 30, cpuSeconds: 0.5)
        let knee = try tlsTargets(folder).knee()
        #expect(knee.measured.hasSuffix(": 0.25×"))
        #expect(knee.verdict.hasPrefix("missed by 2.00×. Why: at 4,000/s, the first rate past its knee, EdgeRouter's 250 µs"))
        // 250 µs per request at 4,000/s is a whole core's worth: the reason names it, and nginx's cost at that rate.
        #expect(knee.verdict.contains("come to 1.00 cores at that rate; nginx spent 125 µs per request there"))
    }

    @Test func addedTTFTAtOneThousandStreamsIsEdgeRoutersAddedP99OverNginxsAboveDirect() throws {
        let folder = try ResultsFolder(tls: (rates: [], levels: [100, 1000]))
        try folder.streams("direct", 1000, ttftP99: 60, cpuSeconds: 0)
        try folder.streams("router-tls", 1000, ttftP99: 64, cpuSeconds: 2)
        try folder.streams("nginx-tls", 1000, ttftP99: 62, cpuSeconds: 1)
        let met = try tlsTargets(folder).addedTTFT()
        #expect(met.measured == "EdgeRouter +4.00 ms, nginx +2.00 ms = 2.00×")
        #expect(met.verdict == "met")
        try folder.streams("router-tls", 1000, ttftP99: 70, cpuSeconds: 2)
        let missed = try tlsTargets(folder).addedTTFT()
        #expect(missed.verdict.hasPrefix("missed by 2.50×. Why: the machine's 2 cores were shared"))
        // 2 s of the proxy's CPU over the 4 s window: half a core busy in EdgeRouter's step, a quarter in nginx's.
        #expect(missed.verdict.contains("busy during EdgeRouter's step: 0.50 (proxy 0.50), during nginx's: 0.25 (proxy 0.25)"))
    }

    @Test func addedTTFTIsNotMeasuredWhenOneThousandStreamsWasNotATLSLevel() throws {
        let folder = try ResultsFolder(tls: (rates: [], levels: [100, 250]))
        try folder.streams("direct", 100, ttftP99: 60, cpuSeconds: 0)
        try folder.streams("router-tls", 100, ttftP99: 61, cpuSeconds: 1)
        try folder.streams("nginx-tls", 100, ttftP99: 61, cpuSeconds: 1)
        let row = try tlsTargets(folder).addedTTFT()
        #expect(row.verdict == "not measured")
        #expect(row.measured.contains("levels 100, 250"))
    }

    @Test func streamsHeldIsMissedWhenEdgeRouterStallsAtALevelNginxHolds() throws {
        let folder = try ResultsFolder(tls: (rates: [], levels: [100, 1000]))
        try folder.streams("router-tls", 100, ttftP99: 61, cpuSeconds: 1)
        try folder.streams("router-tls", 1000, ttftP99: 900, stalledStreams: 12, cpuSeconds: 2)
        try folder.streams("nginx-tls", 100, ttftP99: 61, cpuSeconds: 0.4)
        try folder.streams("nginx-tls", 1000, ttftP99: 62, cpuSeconds: 0.8)
        let targets = try tlsTargets(folder)
        let held = targets.streamsHeld()
        #expect(held.measured.hasPrefix("EdgeRouter 100, nginx 1,000"))
        #expect(held.verdict == "missed")
        // CPU per delta is judged at the highest level both held (100), where it is 2.5× nginx's.
        let cpu = targets.cpuPerDelta()
        #expect(cpu.measured.hasPrefix("at 100 streams"))
        #expect(cpu.verdict == "missed by 1.25×")
    }

    @Test func theReportHasATLSSectionWithTablesRatiosAndTargets() throws {
        let folder = try ResultsFolder(tls: (rates: [1000], levels: [100]))
        try folder.rate("direct", 1000, p99: 1, cpuSeconds: 0)
        try folder.rate("router", 1000, p99: 2, succeeded: 4000, cpuSeconds: 1.0, connections: 2)
        try folder.rate("router-tls", 1000, p99: 2.5, succeeded: 4000, cpuSeconds: 1.2, connections: 2)
        try folder.rate("nginx", 1000, p99: 1.5, succeeded: 4000, cpuSeconds: 0.4, connections: 1)
        try folder.rate("nginx-tls", 1000, p99: 1.6, succeeded: 4000, cpuSeconds: 0.5, connections: 1)
        for (path, cpu) in [("direct", 0.0), ("router", 1.0), ("router-tls", 1.1), ("nginx", 0.5), ("nginx-tls", 0.55)] {
            try folder.streams(path, 100, ttftP99: 61, cpuSeconds: cpu, connections: path == "direct" ? nil : 3)
        }
        let report = MarkdownReport(results: try ResultSet(directory: folder.url), chartLink: nil).render()
        let section = try #require(report.components(separatedBy: "## TLS upstreams").last)
        #expect(section.contains("| 1,000/s | EdgeRouter, HTTPS upstream | 1.00 / 2.50 | +1.50 | 300 | 0.0005 | yes |"))
        // TLS ÷ plain 1.20× and 1.25×; EdgeRouter ÷ nginx 2.50× plain, 2.40× with TLS; added p99 1.50 ÷ 0.60 ms.
        #expect(section.contains("| 1,000/s | 1.20× | 1.25× | 2.50× | 2.40× | 2.50× |"))
        #expect(section.contains("| 100 | nginx proxy_pass, HTTPS upstream | 60.0 / 61.0 | +0.000 | 21.0 | 17.2 | 0.0060 | 0 | yes |"))
        #expect(section.contains("### #18's targets with TLS upstreams"))
        #expect(section.contains("| TLS, scenario A: CPU per request ≤ 2.5 × nginx's |"))
        #expect(section.contains("a certificate (ECDSA P-256 key)"))
    }

    @Test func aRatioWithAStepThatDidNotHoldIsMarked() throws {
        let folder = try ResultsFolder(tls: (rates: [1000], levels: []))
        try folder.rate("router-tls", 1000, p99: 40, succeeded: 4000, cpuSeconds: 1.2)
        try folder.rate("nginx-tls", 1000, p99: 2, succeeded: 4000, cpuSeconds: 0.4)
        try folder.rate("router", 1000, p99: 2, succeeded: 4000, cpuSeconds: 1.0)
        let set = try ResultSet(directory: folder.url)
        let perRequest = { (entry: ResultSet.Entry) in entry.cpuMicrosPerRequest }
        #expect(TLSSection.ratio(set.rateRuns["router-tls"]?[1000], set.rateRuns["nginx-tls"]?[1000], perRequest) == "3.00× ✗")
        #expect(TLSSection.ratio(set.rateRuns["router"]?[1000], set.rateRuns["nginx-tls"]?[1000], perRequest) == "2.50×")
        #expect(TLSSection.ratio(set.rateRuns["router"]?[1000], set.rateRuns["nginx"]?[1000], perRequest) == "—")
    }

    @Test func aRunWithoutTLSRowsSaysSoInsteadOfATable() throws {
        let folder = try ResultsFolder()
        try folder.rate("direct", 1000, p99: 1, cpuSeconds: 0)
        let report = MarkdownReport(results: try ResultSet(directory: folder.url), chartLink: nil).render()
        #expect(report.contains("## TLS upstreams\n\nNot measured in this run (`--skip-tls`"))
        #expect(!report.contains("### #18's targets with TLS upstreams"))
    }

    private func tlsTargets(_ folder: ResultsFolder) throws -> DataPlaneTargets {
        let set = try ResultSet(directory: folder.url)
        return DataPlaneTargets.tls(set, try #require(set.info.tls))
    }
}
