@testable import EdgeJSON
@testable import EdgeRouter
@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// Inputs kept in `Fuzz/Regressions/<target>/` that once failed, each replayed here through the same path as its
/// fuzz target, so the normal suite guards them too.
@Suite("Fuzzing regressions", .timeLimit(.minutes(5)))
struct FuzzRegressionTests {
    /// `Fuzz/Regressions/<target>/<name>`, read in place (not a bundle resource).
    static func regression(_ target: String, _ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/\(target)/\(name)")
        return Array(try Data(contentsOf: url))
    }

    /// Parses an SSE stream, decodes its OpenAI chunks and assembles the non-streaming answer, as the upstream path
    /// does (the `sse` target, less its first byte, which only picks how the fuzzer splits the stream).
    static func assemble(_ stream: [UInt8]) throws -> String {
        var parser = SSEParser()
        var decoder = OpenAIStreamDecoder()
        var assembler = OpenAICompletionAssembler()
        var events = try parser.parse(stream)
        if let last = parser.finish() { events.append(last) }
        for event in events {
            if case .frame(let frame) = try decoder.decode(event) {
                for event in frame.events { assembler.consume(event) }
            }
        }
        return String(buffer: assembler.answerJSON(fallbackModel: "m", fallbackID: "id"))
    }

    @Test("a provider's token counts that overflow when added give a saturated total, not a trap")
    func usageOverflow() throws {
        let stream = try Self.regression("sse", "usage-total-overflow.txt").dropFirst()
        let completion = try Self.assemble(Array(stream))
        #expect(completion.contains(#""prompt_tokens":9223372036854775807,"completion_tokens":64,"total_tokens":9223372036854775807"#))
        #expect(TokenUsage(promptTokens: .min, completionTokens: -1).totalTokens == .min)
    }

    @Test("a configuration with duplicate keys is refused as invalid YAML, every time it is loaded")
    func duplicateKeys() throws {
        let text = String(decoding: try Self.regression("config", "duplicate-keys-message.yaml"), as: UTF8.self)
        for _ in 0..<2 {
            #expect {
                try ConfigurationLoader.parse(yaml: text, file: "fuzz.yaml", environment: [:])
            } throws: { error in
                (error as? EdgeRouterError)?.message.contains("duplicated key") == true
            }
        }
    }

    @Test("an x-edge-metadata number a double cannot hold (15e007855) is a 400 naming the header; one it can is kept as written")
    func metadataNumberOutOfRange() throws {
        let header = String(decoding: try Self.regression("accounting", "metadata-number-out-of-range.json"), as: UTF8.self)
        #expect {
            try RequestMetadata.parse(header: header)
        } throws: { error in
            (error as? EdgeRouterError).map { $0.param == "x-edge-metadata" && $0.message.contains("out of range") } == true
        }
        #expect(try RequestMetadata.parse(header: #"{"tm":15e07}"#).map(\.json) == ["15e07"])
    }

    @Test("JSON a Responses request formats over blank lines is echoed on one line: the response.created event stays one SSE event")
    func responsesEchoOnOneLine() throws {
        let body = try Self.regression("responses", "echoed-json-with-blank-lines.json")
        let request = try ResponsesRequestReader.read(body)
        var encoder = ResponsesStreamEncoder(
            identity: ResponsesIdentity(
                responseID: "resp_f", itemBase: "f", model: request.chat.model, createdAt: 0,
                previousResponseID: request.previousResponseID, store: request.store, echo: request.echo))
        var output = ByteBuffer()
        encoder.encode(.text(choice: 0, text: "hi"), into: &output)
        let first = try #require(String(buffer: output).components(separatedBy: "\n\n").first)
        #expect(first.hasPrefix("event: response.created\ndata: {"))
        #expect(first.hasSuffix(#","sequence_number":1}"#), "\(first.suffix(200))")
    }
}
