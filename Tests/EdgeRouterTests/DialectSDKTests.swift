import EdgeRouter
import Foundation
import ProviderSim
import Testing

/// The official Python SDKs of the three dialects (`openai`, `anthropic`, `google-genai`), unmodified but for base
/// URL and key, each against a provider of each dialect: text streamed and whole, tool use round trips, images,
/// and errors raised as each SDK's own exception classes.
@Suite("Official SDKs against every provider dialect", .timeLimit(.minutes(8)))
struct DialectSDKTests {
    /// Providers p0 (OpenAI), p1 (Anthropic), p2 (Gemini), and one model on each: `m-openai`, `m-anthropic`,
    /// `m-gemini`.
    static func run(_ body: @Sendable @escaping (RouterHarness) async throws -> Void) async throws {
        let sims = DialectClient.allCases.map { DialectMatrixTests.sim($0) }
        try await RouterHarness.run(
            sims: sims,
            yaml: { ports in
                testYAML(
                    ports: ports,
                    extraModels: """
                          - name: m-openai
                            deployments: [{ provider: p0, model: gpt-sim }]
                          - name: m-anthropic
                            deployments: [{ provider: p1, model: claude-sim }]
                          - name: m-gemini
                            deployments: [{ provider: p2, model: gemini-sim }]
                        """, dialects: ["openai", "anthropic", "gemini"])
            }, body)
    }

    static let models = ["m-openai", "m-anthropic", "m-gemini"]
    static let answer = DialectMatrixTests.expectedText

    @Test("the openai package reads streamed and whole answers from providers of every dialect", .enabled(if: PythonScript.python != nil))
    func openAI() async throws {
        try await Self.run { harness in
            let (status, text) = try await PythonScript.run(
                "openai_sdk_check.py", arguments: [harness.base + "/v1", RouterHarness.clientKey] + Self.models)
            #expect(status == 0, "\(text)")
            for model in Self.models {
                #expect(text.contains("\(model) stream: \(Self.answer)"), "\(text)")
                #expect(text.contains("\(model) create: \(Self.answer)"), "\(text)")
            }
        }
    }

    @Test(
        "the anthropic package: text, streams, tool use round trips and images from every dialect; errors as its own classes",
        .enabled(if: PythonScript.python != nil))
    func anthropic() async throws {
        try await Self.run { harness in
            let (status, text) = try await PythonScript.run(
                "anthropic_sdk_check.py", arguments: [harness.base, RouterHarness.clientKey] + Self.models)
            #expect(status == 0, "\(text)")
            for model in Self.models {
                #expect(text.contains("\(model) create: \(Self.answer)"), "\(text)")
                #expect(text.contains("\(model) stream: \(Self.answer)"), "\(text)")
                #expect(text.contains("\(model) tool: get_weather [tool_use]"), "\(text)")
                #expect(text.contains("\(model) after tool: \(Self.answer)"), "\(text)")
                #expect(text.contains("\(model) streamed tool: get_weather True"), "\(text)")
                #expect(text.contains("\(model) image: \(Self.answer)"), "\(text)")
            }
            #expect(text.contains("error: NotFoundError 404 not_found_error"), "\(text)")
            #expect(text.contains("auth: AuthenticationError 401"), "\(text)")
            #expect(text.contains("invalid: BadRequestError 400 invalid_request_error"), "\(text)")
            #expect(text.contains("models: m,m-anthropic,m-gemini,m-openai"), "\(text)")
        }
    }

    @Test(
        "the google-genai package: text, streams, function calls and images from every dialect; errors as its own classes",
        .enabled(if: PythonScript.python != nil))
    func gemini() async throws {
        try await Self.run { harness in
            let (status, text) = try await PythonScript.run(
                "gemini_sdk_check.py", arguments: [harness.base, RouterHarness.clientKey] + Self.models)
            #expect(status == 0, "\(text)")
            for model in Self.models {
                #expect(text.contains("\(model) create: \(Self.answer)"), "\(text)")
                #expect(text.contains("\(model) stream: \(Self.answer)"), "\(text)")
                #expect(text.contains("\(model) tool: get_weather"), "\(text)")
                #expect(text.contains("\(model) after tool: \(Self.answer)"), "\(text)")
                #expect(text.contains("\(model) image: \(Self.answer)"), "\(text)")
            }
            #expect(text.contains("error: ClientError 404 NOT_FOUND"), "\(text)")
            #expect(text.contains("auth: ClientError 401 UNAUTHENTICATED"), "\(text)")
            #expect(text.contains("models: models/m,models/m-anthropic,models/m-gemini,models/m-openai"), "\(text)")
        }
    }
}

/// The demo as `edge-router demo` runs it (its five simulated providers with their behaviours and dialects, its
/// configuration), and the three official SDKs against every demo model.
@Suite("Official SDKs against the demo", .timeLimit(.minutes(8)))
struct DemoSDKTests {
    static let models = ["demo-chat", "demo-mini", "demo-multi"]

    static func run(_ body: @Sendable @escaping (RouterHarness) async throws -> Void) async throws {
        var sims: [SimulatorSettings] = []
        for provider in DemoConfiguration.providers {
            var settings = SimulatorSettings()
            try settings.apply(json: provider.behaviour)
            settings.dialect = try #require(SimulatorDialect(rawValue: DemoConfiguration.simulatorDialect(of: provider.dialect)))
            // The demo's latencies, shortened: the test is about the wire, not about waiting.
            settings.ttftMilliseconds = min(settings.ttftMilliseconds, 20)
            settings.tokensPerSecond = 1000
            sims.append(settings)
        }
        let configured = sims
        try await RouterHarness.run(
            sims: configured, yaml: { DemoConfiguration.yaml(routerPort: 0, simPorts: $0).replacingOccurrences(of: "interval_ms: 5000", with: "interval_ms: 60000") },
            body)
    }

    @Test(
        "the openai, anthropic and google-genai packages read every demo model, demo-multi included",
        .enabled(if: PythonScript.python != nil))
    func everySDKEveryDemoModel() async throws {
        try await Self.run { harness in
            let key = DemoConfiguration.clientKey
            let openAI = try await PythonScript.run("openai_sdk_check.py", arguments: [harness.base + "/v1", key] + Self.models)
            #expect(openAI.status == 0, "\(openAI.output)")
            let anthropic = try await PythonScript.run("anthropic_sdk_check.py", arguments: [harness.base, key] + Self.models)
            #expect(anthropic.status == 0, "\(anthropic.output)")
            let gemini = try await PythonScript.run("gemini_sdk_check.py", arguments: [harness.base, key] + Self.models)
            #expect(gemini.status == 0, "\(gemini.output)")
            for model in Self.models {
                for (sdk, output) in [("openai", openAI.output), ("anthropic", anthropic.output), ("gemini", gemini.output)] {
                    #expect(output.contains("\(model) stream: \(DialectMatrixTests.expectedText)"), "\(sdk): \(output)")
                    #expect(output.contains("\(model) create: \(DialectMatrixTests.expectedText)"), "\(sdk): \(output)")
                }
                #expect(anthropic.output.contains("\(model) tool: get_weather [tool_use]"), "\(anthropic.output)")
                #expect(gemini.output.contains("\(model) tool: get_weather"), "\(gemini.output)")
            }
        }
    }
}
