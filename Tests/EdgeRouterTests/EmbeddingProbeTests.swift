import EdgeRouter
import Foundation
import Probe
import ProviderSim
import RoutingCore
import Testing

/// Probes of embedding models embed the probe prompt, in the provider's dialect, and time the whole answer.
@Suite("Probes of embedding models", .timeLimit(.minutes(2)))
struct EmbeddingProbeTests {
    @Test("an embedding probe of an OpenAI and of a Gemini provider succeeds (with the provider's key) and its time is the whole answer's, after the scripted latency", arguments: [SimulatorDialect.openai, .gemini])
    func probeTimesWholeAnswer(dialect: SimulatorDialect) async throws {
        var settings = SimulatorSettings(dialect: dialect)
        settings.ttftMilliseconds = 150
        settings.requiredAPIKey = "provider-secret"
        try await RouterHarness.run(sims: [settings], yaml: { testYAML(ports: $0, dialects: [dialect.rawValue]) }) { harness in
            let configuration = try ConfigurationLoader.parse(
                yaml: testYAML(
                    ports: harness.simPorts, extraModels: "  - { name: e, kind: embedding, deployments: [{ provider: p0, model: emb }] }",
                    dialects: [dialect.rawValue]),
                environment: ["TEST_PROVIDER_KEY": "provider-secret"])
            let model = try #require(configuration.model(named: "e"))
            let runner = try ProbeRunner(settings: ProbeSettings())
            let result = await runner.probe(try #require(model.deployments.first), probe: model.probe, kind: model.kind, cold: true)
            await runner.shutdown()
            #expect(result.error == nil, "\(String(describing: result.error))")
            #expect(result.httpStatus == 200)
            #expect(try #require(result.timeToFirstToken) >= .milliseconds(140))
            #expect(harness.sims[0].stats.embeddings == 1 && harness.sims[0].stats.completed == 1)
        }
    }
}
