@testable import EdgeWire
import Foundation
import NIOCore
import Testing

@Suite("Embeddings on the wire: readers, writers, base64", .timeLimit(.minutes(5)))
struct EmbeddingWireTests {
    static func openAI(_ text: String) throws(WireError) -> EmbeddingRequest { try OpenAIEmbeddingReader.read(Array(text.utf8)) }

    @Test("OpenAI input as a string, strings, token ids and token arrays, with encoding_format, dimensions and user")
    func openAIShapes() throws {
        #expect(try Self.openAI(#"{"model":"e","input":"hi"}"#).inputs == [.text("hi")])
        let many = try Self.openAI(#"{"model":"e","input":["a","b"],"encoding_format":"base64","dimensions":4,"user":"u1"}"#)
        #expect(many == EmbeddingRequest(model: "e", inputs: [.text("a"), .text("b")], encoding: .base64, dimensions: 4, user: "u1"))
        #expect(try Self.openAI(#"{"model":"e","input":[1,2,3]}"#).inputs == [EmbeddingInput(.tokens([1, 2, 3]))])
        #expect(
            try Self.openAI(#"{"model":"e","input":[[1,2],[3]]}"#).inputs == [EmbeddingInput(.tokens([1, 2])), EmbeddingInput(.tokens([3]))])
        let extra = try Self.openAI(#"{"model":"e","input":"x","truncate":{"on":true}}"#)
        #expect(extra.extra.map(\.key) == ["truncate"])
        #expect(String(decoding: extra.extra[0].json, as: UTF8.self) == #"{"on":true}"#)
    }

    @Test("OpenAI requests refused with the field named: missing model or input, empty or mixed input, bad format, dimensions out of range")
    func openAIRefusals() {
        let cases: [(String, String)] = [
            (#"{"input":"x"}"#, "model"),
            (#"{"model":"e"}"#, "input"),
            (#"{"model":"e","input":[]}"#, "input"),
            (#"{"model":"e","input":["a",1]}"#, "input[1]"),
            (#"{"model":"e","input":[1,"a"]}"#, "input[1]"),
            (#"{"model":"e","input":[[]]}"#, "input[0]"),
            (#"{"model":"e","input":[-1]}"#, "input[0]"),
            (#"{"model":"e","input":{"a":1}}"#, "input"),
            (#"{"model":"e","input":"x","encoding_format":"int8"}"#, "encoding_format"),
            (#"{"model":"e","input":"x","dimensions":0}"#, "dimensions"),
            (#"{"model":"e","input":"x","dimensions":1e30}"#, "dimensions"),
        ]
        for (body, param) in cases {
            #expect(throws: WireError.self, "\(body)") { try Self.openAI(body) }
            do {
                _ = try Self.openAI(body)
            } catch {
                #expect(error.param == param, "\(body): \(error.message)")
            }
        }
        #expect((try? Self.openAI("{not json")) == nil)
    }

    @Test("Gemini embedContent and batchEmbedContents read text parts, taskType, title and outputDimensionality")
    func geminiShapes() throws {
        let single = try GeminiEmbeddingReader.read(
            Array(#"{"content":{"parts":[{"text":"a"},{"text":"b"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":3}"#.utf8),
            model: "g", batch: false)
        #expect(single == EmbeddingRequest(model: "g", inputs: [.text("a\nb")], dimensions: 3, taskType: "RETRIEVAL_QUERY"))
        let batch = try GeminiEmbeddingReader.read(
            Array(
                #"{"requests":[{"model":"models/g","content":{"parts":[{"text":"x"}]},"title":"T"},{"model":"models/g","content":{"role":"user","parts":[{"text":"y"}]}}]}"#
                    .utf8),
            model: "g", batch: true)
        #expect(batch.inputs == [EmbeddingInput(.text("x"), title: "T"), .text("y")])
    }

    @Test("Gemini requests refused with the field named: unknown fields, image parts, mixed taskType, empty batch")
    func geminiRefusals() {
        let cases: [(String, Bool, String)] = [
            (#"{"content":{"parts":[{"text":"a"}]},"bogus":1}"#, false, "bogus"),
            (#"{"content":{"parts":[{"inlineData":{"data":"AA=="}}]}}"#, false, "content.parts[0]"),
            (#"{"taskType":"X"}"#, false, "content"),
            (#"{"requests":[]}"#, true, "requests"),
            (
                #"{"requests":[{"content":{"parts":[{"text":"a"}]},"taskType":"A"},{"content":{"parts":[{"text":"b"}]},"taskType":"B"}]}"#,
                true, "requests[1].taskType"
            ),
        ]
        for (body, batch, param) in cases {
            do {
                _ = try GeminiEmbeddingReader.read(Array(body.utf8), model: "g", batch: batch)
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.param == param, "\(body): \(error.message)")
            }
        }
    }

    @Test("the writers: OpenAI body with model, inputs, dimensions, user and extra fields; Gemini batch body; refusals across dialects")
    func writers() throws {
        var request = EmbeddingRequest(model: "client", inputs: [.text("a"), .text("b")], dimensions: 4, user: "u")
        request.extra = [("truncate", Array("true".utf8))]
        let openAI = try EmbeddingRequestWriter.openAIBody(request, model: "up")
        #expect(String(buffer: openAI) == #"{"model":"up","input":["a","b"],"dimensions":4,"user":"u","truncate":true}"#)
        #expect(throws: WireError.self) { try EmbeddingRequestWriter.geminiBody(request, model: "up") }
        request.extra = []
        request.taskType = "SEMANTIC_SIMILARITY"
        let gemini = try EmbeddingRequestWriter.geminiBody(request, model: "up")
        #expect(
            String(buffer: gemini)
                == #"{"requests":[{"model":"models/up","content":{"parts":[{"text":"a"}]},"taskType":"SEMANTIC_SIMILARITY","outputDimensionality":4},{"model":"models/up","content":{"parts":[{"text":"b"}]},"taskType":"SEMANTIC_SIMILARITY","outputDimensionality":4}]}"#
        )
        #expect(throws: WireError.self) { try EmbeddingRequestWriter.openAIBody(request, model: "up") }
        let tokens = EmbeddingRequest(model: "c", inputs: [EmbeddingInput(.tokens([1, 2]))])
        #expect(String(buffer: try EmbeddingRequestWriter.openAIBody(tokens, model: "up")) == #"{"model":"up","input":[[1,2]]}"#)
        #expect(throws: WireError.self) { try EmbeddingRequestWriter.geminiBody(tokens, model: "up") }
    }

    @Test("base64 output decodes (as the OpenAI SDK does: little-endian float32) to the same floats as the float output")
    func base64RoundTrip() throws {
        let vectors: [[Float]] = [[0.1, -0.25, 3.5e-7, 1], [0.5, -0.5, 0]]
        let result = EmbeddingResult(vectors: vectors, promptTokens: 5)
        let floats = EmbeddingResultWriter.openAI(result, model: "m", encoding: .float, promptTokens: 5)
        let base64 = EmbeddingResultWriter.openAI(result, model: "m", encoding: .base64, promptTokens: 5)
        let readFloats = try EmbeddingResultReader.openAI(floats, expected: 2)
        let readBase64 = try EmbeddingResultReader.openAI(base64, expected: 2)
        #expect(readFloats.vectors == vectors)
        #expect(readBase64.vectors == vectors)
        #expect(readFloats.promptTokens == 5)
        // Independently of the router's reader: Foundation's base64 and the bytes as float32.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: base64).utf8)) as? [String: Any])
        let data = try #require(object["data"] as? [[String: Any]])
        let encoded = try #require(data[0]["embedding"] as? String)
        let bytes = try #require(Data(base64Encoded: encoded))
        let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset -> Float in
            var bits: UInt32 = 0
            for shift in 0..<4 { bits |= UInt32(bytes[offset + shift]) << UInt32(8 * shift) }
            return Float(bitPattern: bits)
        }
        #expect(decoded == vectors[0])
    }

    @Test("provider answers: OpenAI data ordered by index, Gemini embeddings; wrong counts, non-finite values and bad JSON refused")
    func resultReaders() throws {
        let shuffled = ByteBuffer(string: #"{"data":[{"index":1,"embedding":[2]},{"index":0,"embedding":[1]}],"usage":{"prompt_tokens":3}}"#)
        #expect(try EmbeddingResultReader.openAI(shuffled, expected: 2) == EmbeddingResult(vectors: [[1], [2]], promptTokens: 3))
        let gemini = ByteBuffer(string: #"{"embeddings":[{"values":[0.5,1e-3]},{"values":[-1]}]}"#)
        #expect(try EmbeddingResultReader.gemini(gemini, expected: 2) == EmbeddingResult(vectors: [[0.5, 0.001], [-1]]))
        #expect(throws: WireError.self) { try EmbeddingResultReader.gemini(gemini, expected: 3) }
        #expect(throws: WireError.self) { try EmbeddingResultReader.gemini(ByteBuffer(string: #"{"embeddings":[{"values":[1e300]}]}"#), expected: 1) }
        #expect(throws: WireError.self) { try EmbeddingResultReader.openAI(ByteBuffer(string: "<html>"), expected: 1) }
        #expect(
            throws: WireError.self
        ) { try EmbeddingResultReader.openAI(ByteBuffer(string: #"{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]}"#), expected: 2) }
        let single = EmbeddingResultWriter.gemini(EmbeddingResult(vectors: [[0.25]]), batch: false)
        #expect(String(buffer: single) == #"{"embedding":{"values":[0.25]}}"#)
    }
}
