import EdgeRouter
import Foundation
import Probe
import ProviderSim
import RoutingCore
import Testing

/// Probes speak each provider's dialect and find its first token as a live request does: OpenAI's role chunk and
/// Anthropic's `message_start` and `ping`, sent with the head, are not tokens.
@Suite("Probes in every dialect", .timeLimit(.minutes(2)))
struct DialectProbeTests {
    @Test("a probe of each dialect succeeds and times the first token, not the frames sent with the head", arguments: DialectClient.allCases)
    func probeFindsFirstToken(dialect: DialectClient) async throws {
        var settings = DialectMatrixTests.sim(dialect, ttft: 150)
        settings.requiredAPIKey = "provider-secret"
        try await RouterHarness.run(sims: [settings], yaml: { testYAML(ports: $0, dialects: [dialect.rawValue]) }) { harness in
            let configuration = try ConfigurationLoader.parse(
                yaml: testYAML(ports: harness.simPorts, dialects: [dialect.rawValue]), environment: ["TEST_PROVIDER_KEY": "provider-secret"])
            let deployment = try #require(configuration.model(named: "m")?.deployments.first)
            let runner = try ProbeRunner(settings: ProbeSettings())
            let result = await runner.probe(deployment, probe: ModelProbe(), cold: true)
            await runner.shutdown()
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.httpStatus == 200)
            let firstToken = try #require(result.timeToFirstToken)
            #expect(firstToken >= .milliseconds(140), "the first token is the content after the TTFT, not the head's frames")
            #expect(firstToken > (result.timeToFirstByte ?? .zero))
        }
    }
}
