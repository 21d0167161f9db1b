@testable import EdgeRouter
import RoutingCore
import Testing

/// The configuration of `dialect: cog` providers and their deployments' input templates, and what
/// `edge-router check` refuses.
@Suite("Cog configuration", .timeLimit(.minutes(2)))
struct CogConfigurationTests {
    @Test("a cog provider has 1 slot by default and streams unless told; the input template keeps its order, literals and chat template")
    func valid() throws {
        let configuration = try ConfigurationLoader.parse(
            yaml: """
                providers:
                  - { id: house, dialect: cog, base_url: "http://127.0.0.1:5000" }
                  - { id: whole, dialect: cog, base_url: "http://127.0.0.1:5001", streams: false, capacity: 3 }
                models:
                  - name: house-llm
                    deployments:
                      - provider: house
                        model: llama
                        chat_template: llama3
                        input: { prompt: "{{prompt}}", max_new_tokens: "{{max_tokens}}", top_k: 50, greedy: false, note: "'50'" }
                      - { provider: whole, model: llama }
                """, environment: [:])
        let house = try #require(configuration.provider(id: "house"))
        #expect(house.dialect == .cog)
        #expect(house.capacity == 1)
        #expect(house.streams)
        let whole = try #require(configuration.provider(id: "whole"))
        #expect(whole.capacity == 3)
        #expect(!whole.streams)
        let model = try #require(configuration.model(named: "house-llm"))
        let input = try #require(model.deployments[0].cogInput)
        #expect(input.chatTemplate == "llama3")
        #expect(
            input.fields == [
                CogInputField(name: "prompt", value: .template("{{prompt}}")),
                CogInputField(name: "max_new_tokens", value: .template("{{max_tokens}}")),
                CogInputField(name: "top_k", value: .literal("50")), CogInputField(name: "greedy", value: .literal("false")),
                CogInputField(name: "note", value: .template("'50'")),
            ])
        #expect(model.deployments[1].cogInput == .standard)
    }

    @Test("check refuses an unknown placeholder, an unknown chat template, a template without placeholders, cog keys elsewhere, and a cog embedding model")
    func mistakes() {
        let found = ConfigurationTests.issues(
            """
            providers:
              - { id: house, dialect: cog, base_url: "http://127.0.0.1:5000" }
              - { id: oa, base_url: "http://127.0.0.1:8000/v1", streams: false }
            models:
              - name: a
                deployments:
                  - { provider: house, model: x, chat_template: vicuna, input: { prompt: "{{prompt}} {{history}}" } }
              - name: b
                deployments:
                  - { provider: house, model: x, input: { prompt: "fixed" } }
              - name: c
                deployments:
                  - { provider: oa, model: y, chat_template: plain }
              - name: d
                kind: embedding
                deployments: [{ provider: house, model: x }]
            """, environment: [:])
        let expected = [
            "providers[1].streams: only a 'dialect: cog' provider takes 'streams'",
            "models[0].deployments[0].chat_template: unknown chat template 'vicuna'",
            "models[0].deployments[0].input.prompt: unknown placeholder '{{history}}'",
            "models[1].deployments[0].input: the input template uses no placeholder",
            "models[2].deployments[0].chat_template: only a deployment of a 'dialect: cog' provider takes this key",
            "models[3].kind: an embedding model cannot be served by 'house': Cog-dialect providers have no embeddings",
        ]
        for prefix in expected {
            #expect(found.contains { $0.hasPrefix(prefix) }, "missing: \(prefix)\nfound: \(found)")
        }
    }

    @Test("the demo with a Cog server (`--cog-url`) adds provider cog-echo and model demo-cog, Cog first then sim-fast; without it, neither")
    func demo() throws {
        let ports = Array(9101...9105)
        let with = try ConfigurationLoader.parse(
            yaml: DemoConfiguration.yaml(routerPort: 0, simPorts: ports, cogURL: "http://127.0.0.1:9106"), environment: [:])
        let provider = try #require(with.provider(id: "cog-echo"))
        #expect(provider.dialect == .cog)
        #expect(provider.capacity == 1)
        let model = try #require(with.model(named: "demo-cog"))
        #expect(model.deployments.map(\.provider.id) == ["cog-echo", "sim-fast"])
        #expect(model.deployments[0].cogInput?.chatTemplate == "plain")
        let without = try ConfigurationLoader.parse(yaml: DemoConfiguration.yaml(routerPort: 0, simPorts: ports), environment: [:])
        #expect(without.provider(id: "cog-echo") == nil)
        #expect(without.model(named: "demo-cog") == nil)
    }
}
