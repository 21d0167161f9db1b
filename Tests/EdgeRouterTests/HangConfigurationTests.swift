import EdgeRouter
import Foundation
import RoutingCore
import Testing

@Suite("Configuration of hang detection, the 400 rule and the hedging default")
struct HangConfigurationTests {
    static let base = """
        providers:
          - { id: p0, base_url: "http://127.0.0.1:1/v1" }
        models:
          - name: m
            deployments: [{ provider: p0, model: u }]
        """

    @Test("routing.hang and breaker.misconfigured_rejections are read; a model hedges `auto` unless told otherwise")
    func parsed() throws {
        let defaults = try ConfigurationLoader.parse(yaml: Self.base, environment: [:])
        #expect(defaults.models.first?.routing.hedge == .auto)
        #expect(defaults.routing.hang == HangDetection())
        let yaml = Self.base + """

            routing:
              hang: { multiplier: 3, floor_ms: 400, minimum_samples: 20, hold_ms: 5000 }
              breaker: { misconfigured_rejections: 7 }
            """
        let configuration = try ConfigurationLoader.parse(yaml: yaml.replacingOccurrences(of: "  - name: m\n", with: "  - name: m\n    hedge: off\n"), environment: [:])
        #expect(configuration.routing.hang == HangDetection(multiplier: 3, floorNanos: 400_000_000, minimumSamples: 20, holdNanos: 5_000_000_000))
        #expect(configuration.routing.breaker.misconfiguredRejections == 7)
        #expect(configuration.models.first?.routing.hedge == .off)
        #expect(throws: (any Error).self) {
            try ConfigurationLoader.parse(yaml: Self.base + "\nrouting:\n  hang: { multiplyer: 3 }\n", environment: [:])
        }
    }
}
