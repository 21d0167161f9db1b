@testable import EdgeRouter
import RoutingCore
import Testing

@Suite("Configuration", .timeLimit(.minutes(5)))
struct ConfigurationTests {
    static let valid = """
        server: { port: 9000, max_attempts: 2, request_timeout_ms: 5000 }
        providers:
          - id: openai
            base_url: https://api.example.com/v1/
            api_key: ${OPENAI_KEY}
            region: us-east
            headers: { OpenAI-Organization: org-1 }
            timeouts: { first_token_ms: 1500 }
          - id: local
            base_url: http://127.0.0.1:8000/v1
            capacity: 4
        models:
          - name: gpt
            aliases: [gpt-latest]
            deployments:
              - { provider: openai, model: gpt-4o, price: { input_per_mtok: 2.5, output_per_mtok: 10 } }
              - { provider: local, model: llama }
        keys:
          - { id: team-a, key: "${TEAM_A_KEY}", models: [gpt-latest] }
          - { id: team-b, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }
        """
    static let environment = ["OPENAI_KEY": "sk-provider", "TEAM_A_KEY": "team-a-secret"]

    @Test("a valid file becomes a configuration")
    func valid() throws {
        let configuration = try ConfigurationLoader.parse(yaml: Self.valid, environment: Self.environment)
        #expect(configuration.server.port == 9000)
        #expect(configuration.server.maxAttempts == 2)
        #expect(configuration.server.requestTimeout == .milliseconds(5000))
        let openai = try #require(configuration.provider(id: "openai"))
        #expect(openai.baseURL == "https://api.example.com/v1")
        #expect(openai.apiKey == "sk-provider")
        #expect(openai.headers.first?.name == "OpenAI-Organization")
        #expect(openai.timeouts.firstToken == .milliseconds(1500))
        #expect(configuration.provider(id: "local")?.capacity == 4)
        let model = try #require(configuration.model(named: "gpt-latest"))
        #expect(model.name == "gpt")
        #expect(model.deployments.map(\.label) == ["openai/gpt-4o", "local/llama"])
        #expect(model.deployments[0].price.outputPerMillion == 10)
        #expect(configuration.keys.key(forSecret: "team-a-secret")?.allowedModels == ["gpt"])
        // sha256("test")
        #expect(configuration.keys.key(forSecret: "test")?.id == "team-b")
        #expect(configuration.keys.key(forSecret: "nope") == nil)
    }

    @Test("a key ring finds a key by its secret whether it was added by secret or by its SHA-256 in either case; sha256Hex is 64 lowercase digits")
    func keyRingDigests() {
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  // sha256("test")
        #expect(KeyRing.sha256Hex("test") == hex)
        #expect(KeyRing.sha256Hex("test"[...]) == hex)
        var ring = KeyRing()
        ring.add(GatewayKey(id: "upper"), sha256Hex: hex.uppercased())
        ring.add(GatewayKey(id: "secret"), secret: "another-secret")
        ring.add(GatewayKey(id: "short"), sha256Hex: String(hex.dropLast()))
        ring.add(GatewayKey(id: "bad"), sha256Hex: String(hex.dropLast()) + "g")
        #expect(ring.count == 2)
        #expect(ring.key(forSecret: "test")?.id == "upper")
        #expect(ring.key(forSecret: "xx another-secret".dropFirst(3))?.id == "secret")
        #expect(ring.key(forSecret: "Test") == nil)
    }

    static func issues(_ yaml: String, environment: [String: String] = environment) -> [String] {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml, environment: environment)
            return []
        } catch {
            return error.configurationIssues.map { "\($0.path): \($0.message)" }
        }
    }

    @Test("every mistake is reported with its path in the file")
    func mistakes() {
        let yaml = """
            server: { port: 70000, colour: blue }
            providers:
              - { id: a, base_url: "not a url" }
              - { id: a, base_url: "http://x", api_key: "${MISSING_KEY}", dialect: klingon }
              - { id: b, base_url: "http://x:99999/v1" }
            models:
              - name: m
                deployments: [ { provider: a, model: x }, { provider: ghost, model: y } ]
              - name: m
                deployments: []
            keys:
              - { id: k, key: short1, models: [unknown-model] }
              - { id: k, sha256: abc }
            """
        let found = Self.issues(yaml)
        let expected = [
            "server.port: expected a whole number in 0...65535, got '70000'",
            "server.colour: unknown field 'colour'",
            "providers[0].base_url: 'not a url' is not an http(s) URL",
            "providers[1].id: duplicate provider id 'a'",
            "providers[1].dialect: unknown dialect 'klingon'",
            "providers[1].api_key: environment variable MISSING_KEY is not set",
            "providers[2].base_url: 'http://x:99999/v1' must be http(s)://host[:port][/path][?query]",
            "models[0].deployments[1].provider: unknown provider 'ghost'",
            "models[1].name: duplicate model name 'm'",
            "models[1].deployments: a model needs at least one deployment",
            "keys[0].models[0]: unknown model 'unknown-model'",
            "keys[1].id: duplicate key id 'k'",
            "keys[1].sha256: expected 64 hex digits",
        ]
        for prefix in expected {
            #expect(found.contains { $0.hasPrefix(prefix) }, "missing: \(prefix)\nfound: \(found)")
        }
    }

    @Test("the error message lists each issue with path and line")
    func message() {
        do {
            _ = try ConfigurationLoader.parse(yaml: "providers: []\nmodels:\n  - name: m\n    deployments:\n      - { provider: x, model: y }", file: "edge.yaml", environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("edge.yaml: 1 configuration error"))
            #expect(error.message.contains("models[0].deployments[0].provider (line 5): unknown provider 'x'"))
        }
    }

    @Test("not YAML, empty, or a missing file are errors too")
    func unreadable() {
        #expect(Self.issues(": : :\n  - [") .first?.contains("not valid YAML") == true)
        #expect(Self.issues("") == [": the file is empty"])
        #expect(throws: EdgeRouterError.self) { try ConfigurationLoader.load(path: "/nonexistent/edge.yaml") }
    }

    @Test("the demo configuration is valid: demo-chat on three providers, demo-mini on two, demo-multi on three dialects (sim-steady through the Responses API, on /v1)")
    func demo() throws {
        let configuration = try ConfigurationLoader.parse(yaml: DemoConfiguration.yaml(routerPort: 8080, simPorts: [1, 2, 3, 4, 5]), environment: [:])
        #expect(configuration.model(named: "demo-chat")?.deployments.count == 3)
        #expect(configuration.model(named: "demo-mini")?.deployments.count == 2)
        let multi = try #require(configuration.model(named: "demo-multi"))
        #expect(multi.deployments.map(\.provider.id) == ["sim-claude", "sim-gemini", "sim-steady"])
        #expect(multi.deployments.map(\.provider.dialect) == [.anthropic, .gemini, .openaiResponses])
        #expect(configuration.provider(id: "sim-steady")?.baseURL == "http://127.0.0.1:2/v1")
        #expect(multi.defaultMaxTokens == 1024)
        #expect(configuration.provider(id: "sim-claude")?.baseURL == "http://127.0.0.1:4")
        #expect(configuration.keys.key(forSecret: DemoConfiguration.clientKey) != nil)
    }

    @Test("${VAR} substitution", arguments: [
        ("plain", "plain"), ("${A}", "alpha"), ("x-${A}-${B}", "x-alpha-beta"), ("${UNSET:-fallback}", "fallback"),
        ("$$literal", "$literal"), ("cost $5", "cost $5"),
    ])
    func substitution(input: String, output: String) throws {
        let substitution = EnvironmentSubstitution(environment: ["A": "alpha", "B": "beta"])
        #expect(try substitution.substitute(input) == output)
    }

    @Test("unset and malformed references are errors")
    func substitutionErrors() {
        let substitution = EnvironmentSubstitution(environment: [:])
        #expect(throws: EnvironmentSubstitution.Failure.unset("NOPE")) { try substitution.substitute("${NOPE}") }
        #expect(throws: EnvironmentSubstitution.Failure.malformed) { try substitution.substitute("${open") }
    }
}
