import AsyncHTTPClient
import EdgeRouter
import Foundation
import Testing

@Suite("Client input echoed in an error is bounded", .timeLimit(.minutes(2)))
struct EchoedInputTests {
    static let auth = ("authorization", "Bearer \(RouterHarness.clientKey)")
    /// A model name far longer than any message should repeat, with control characters in it (JSON-escaped).
    static let huge = #"a\u001b[31m\u0007"# + String(repeating: "x", count: 100_000)
    /// A header value far longer than any message should repeat (a header cannot carry control characters).
    static let long = String(repeating: "x", count: 3_000)

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var headers: [(String, String)]
        var status: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown model", body: RouterHarness.chatBody(model: huge, stream: false), headers: [auth], status: 404),
        Case(
            name: "pinned unknown provider", body: RouterHarness.chatBody(model: huge + "/m", stream: false), headers: [auth],
            status: 404),
        Case(
            name: "unknown x-edge-route field", body: RouterHarness.chatBody(model: "m", stream: false),
            headers: [auth, ("x-edge-route", #"{""# + long + #"":1}"#)], status: 400),
        Case(
            name: "unknown provider in x-edge-route", body: RouterHarness.chatBody(model: "m", stream: false),
            headers: [auth, ("x-edge-route", #"{"only":[""# + long + #""]}"#)], status: 400),
        Case(
            name: "bad x-edge-timeout-ms", body: RouterHarness.chatBody(model: "m", stream: false),
            headers: [auth, ("x-edge-timeout-ms", String(repeating: "9x", count: 20_000))], status: 400),
    ]

    @Test("the error message quotes at most 64 characters of the client's input, marked with an ellipsis, and no control character", arguments: cases)
    func bounded(_ testCase: Case) async throws {
        try await RouterHarness.run(sims: [ChatStreamingTests.fastSim()], yaml: { testYAML(ports: $0) }) { harness in
            let response = try await harness.send("/v1/chat/completions", body: testCase.body, headers: testCase.headers)
            #expect(response.status == testCase.status)
            let error = try openAIError(response.body)
            let message = try #require(error["message"] as? String)
            #expect(message.count < 400, "message of \(message.count) characters")
            #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
            #expect(!message.contains(String(repeating: "x", count: 65)) && !message.contains(String(repeating: "9x", count: 33)))
            #expect(message.contains("..."))
        }
    }
}
