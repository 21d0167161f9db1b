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
