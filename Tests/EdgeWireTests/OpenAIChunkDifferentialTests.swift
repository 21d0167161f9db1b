@testable import EdgeJSON
@testable import EdgeWire
import Foundation
import Testing

/// The byte-level chunk reader against the `JSONDecoder` decoder it replaced (kept in the tests as
/// ``LegacyFoundationDialect``): the same events from the same frames, and the same frames called malformed.
@Suite("OpenAI chunks: scanner against the Codable decoder", .timeLimit(.minutes(5)))
struct OpenAIChunkDifferentialTests {
    /// What the new decoder made of a frame: nil when it threw ``MalformedFrame``.
    static func decode(_ bytes: [UInt8], with decoder: inout OpenAIStreamDecoder) -> LegacyFoundationDialect.Frame? {
        do {
            switch try decoder.decode(SSEEvent(data: bytes)) {
            case .frame(let frame):
                #expect(frame.payload == bytes, "the payload is forwarded untouched")
                return LegacyFoundationDialect.Frame(events: frame.events, isUsageOnly: frame.isUsageOnly)
            case .done, .skip:
                Issue.record("not a frame: \(String(decoding: bytes, as: UTF8.self))")
                return nil
            }
        } catch {
            #expect(error.detail == "a stream frame is not valid JSON")
            return nil
        }
    }

    /// Whether any object in the document repeats a key: there the old decoder kept the first, the new the last.
    static func hasDuplicateKeys(_ value: ScannedValue) -> Bool {
        switch value {
        case .array(let elements): return elements.contains { hasDuplicateKeys($0) }
        case .object(let members):
            return Set(members.map { Array($0.key.utf8) }).count != members.count || members.contains { hasDuplicateKeys($0.value) }
        default: return false
        }
    }

    @Test("hand-written frames, one decoder for the whole stream as in production")
    func stream() {
        let frames = [
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            #"{"id":"chatcmpl-1","choices":[{"delta":{"content":"Hel\u006co \ud83d\ude00\n"},"index":0}]}"#,
            #"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"reasoning_content":"think","content":"a"}},{"index":1,"delta":{"refusal":"no"}}]}"#,
            #"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\""}},{"index":1,"function":{"arguments":""}}]}}]}"#,
            #"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":"tool_calls"}]}"#,
            #"{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#,
            #"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#,
            #"{"choices":null,"usage":null}"#,
            #"{"id":null,"model":null,"created":null,"choices":[{"index":null,"delta":null,"finish_reason":null}]}"#,
            #"{"choices":[{"index":1.0,"delta":{"content":"x"}}],"created":1e3}"#,
            #"{"error":{"message":"overloaded","type":"server_error"},"id":"x"}"#,
            #"{"error":{}}"#,
            #"{"error":null,"id":"late","choices":[{"delta":{"role":"assistant"}}]}"#,
            #"{"unknown":{"nested":[1,{"deep":"é"}]},"choices":[{"delta":{"content":"ok","extra":[null]},"extra":true}]}"#,
        ]
        var old = LegacyFoundationDialect.Decoder()
        var new = OpenAIStreamDecoder()
        for frame in frames {
            let bytes = Array(frame.utf8)
            let expected = old.decode(bytes)
            #expect(expected != nil, "the oracle accepts \(frame)")
            #expect(Self.decode(bytes, with: &new) == expected, "\(frame)")
        }
    }

    @Test("wrong types are malformed, as they were for the Codable tree", arguments: [
        #"[]"#, #"null"#, #""x""#, #"{"id":5}"#, #"{"model":true}"#, #"{"created":"1"}"#, #"{"created":1.5}"#,
        #"{"created":1e20}"#, #"{"created":9223372036854775808}"#, #"{"choices":{}}"#, #"{"choices":[null]}"#,
        #"{"choices":[1]}"#, #"{"choices":[{"index":"0"}]}"#, #"{"choices":[{"delta":[]}]}"#,
        #"{"choices":[{"delta":{"content":1}}]}"#, #"{"choices":[{"delta":{"role":false}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":{}}}]}"#, #"{"choices":[{"delta":{"tool_calls":[null]}}]}"#,
        #"{"choices":[{"delta":{"tool_calls":[{"function":"f"}]}}]}"#, #"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":{}}}]}}]}"#,
        #"{"choices":[{"finish_reason":0}]}"#, #"{"usage":[]}"#, #"{"usage":{"prompt_tokens":"3"}}"#, #"{"error":"boom"}"#,
        #"{"error":{"message":1}}"#, #"{"error":{"message":"m"},"choices":[{"index":"bad"}]}"#,
    ])
    func wrongTypes(_ frame: String) {
        var old = LegacyFoundationDialect.Decoder()
        var new = OpenAIStreamDecoder()
        #expect(old.decode(Array(frame.utf8)) == nil, "the oracle rejects it too")
        #expect(Self.decode(Array(frame.utf8), with: &new) == nil)
    }

    @Test("the deliberate differences: duplicate keys read as the last, trailing commas and bad numbers refused")
    func deliberateDifferences() {
        var new = OpenAIStreamDecoder()
        let duplicate = Self.decode(Array(#"{"choices":[{"delta":{"content":"first","content":"last"}}]}"#.utf8), with: &new)
        let last: [StreamEvent] = [.text(choice: 0, text: "last")]
        #expect(duplicate?.events == last)
        for frame in [#"{"choices":[],}"#, #"{"x":01}"#, #"{"x":1.}"#, #"{"x":-}"#] {
            var old = LegacyFoundationDialect.Decoder()
            #expect(old.decode(Array(frame.utf8)) != nil, "JSONDecoder let \(frame) through")
            #expect(Self.decode(Array(frame.utf8), with: &new) == nil, "\(frame)")
        }
        var withBadUTF8 = Array(#"{"x":""#.utf8)
        withBadUTF8 += [0xC3, 0x28]
        withBadUTF8 += Array(#""}"#.utf8)
        #expect(Self.decode(withBadUTF8, with: &new) == nil)
    }

    /// A random chunk: the fields the router reads (sometimes null, sometimes absent, once in a while of a wrong
    /// type), unknown fields of any shape, keys in any order, whitespace anywhere.
    struct ChunkGenerator {
        var text: JSONTextGenerator
        var wrongTypes: Bool

        mutating func object(_ members: [(String, String)]) -> String {
            var members = members.filter { _ in text.chance(0.85) }
            for index in 0..<Int(text.random.next() % 2) {
                members.append(("x_unknown_\(index)", text.value(depth: 2)))
            }
            members.shuffle(using: &text.random)
            var parts: [String] = []
            for (key, value) in members {
                var value = text.chance(0.08) ? "null" : value
                if wrongTypes, text.chance(0.03) { value = text.pick(["1", #""s""#, "true", "[]", "{}", "1.5"]) }
                let before = text.whitespace()
                let around = text.whitespace()
                let after = text.whitespace()
                parts.append(before + "\"\(key)\"" + around + ":" + after + value + text.whitespace())
            }
            return "{" + parts.joined(separator: ",") + "}"
        }

        mutating func int() -> String {
            text.pick(["0", "1", "2", "7", "1.0", "2e0", "-1", "1700000000"])
        }

        mutating func toolCall() -> String {
            let index = int()
            let id = text.stringLiteral(maxPieces: 2)
            let name = text.stringLiteral(maxPieces: 2)
            let arguments = text.stringLiteral()
            let function = object([("name", name), ("arguments", arguments)])
            return object([("index", index), ("id", id), ("type", #""function""#), ("function", function)])
        }

        mutating func choice() -> String {
            let index = int()
            let role = text.pick([#""assistant""#, #""tool""#])
            let content = text.stringLiteral()
            let reasoning = text.stringLiteral()
            let refusal = text.stringLiteral(maxPieces: 1)
            var calls: [String] = []
            for _ in 0..<Int(text.random.next() % 3) { calls.append(toolCall()) }
            let delta = object([
                ("role", role), ("content", content), ("reasoning_content", reasoning), ("refusal", refusal),
                ("tool_calls", "[" + calls.joined(separator: ",") + "]"),
            ])
            let reason = text.pick([#""stop""#, #""length""#, #""tool_calls""#])
            return object([("index", index), ("delta", delta), ("finish_reason", reason), ("logprobs", "null")])
        }

        mutating func chunk() -> String {
            let id = text.stringLiteral(maxPieces: 3)
            let created = int()
            let model = text.stringLiteral(maxPieces: 2)
            var choices: [String] = []
            for _ in 0..<Int(text.random.next() % 3) { choices.append(choice()) }
            let prompt = int()
            let completion = int()
            let usage = object([("prompt_tokens", prompt), ("completion_tokens", completion), ("total_tokens", "9")])
            var fields: [(String, String)] = [
                ("id", id), ("object", #""chat.completion.chunk""#), ("created", created), ("model", model),
                ("choices", "[" + choices.joined(separator: ",") + "]"), ("usage", usage),
            ]
            if text.chance(0.05) {
                let message = text.stringLiteral()
                let type = text.stringLiteral(maxPieces: 1)
                fields.append(("error", object([("message", message), ("type", type), ("code", "null")])))
            }
            let before = text.whitespace()
            return before + object(fields) + text.whitespace()
        }
    }

    @Test("generated chunks, some with wrong types: the same events or the same rejection", arguments: 0..<4)
    func generated(seed: Int) {
        var generator = ChunkGenerator(text: JSONTextGenerator(seed: UInt64(seed) &+ 0x51_7CC1), wrongTypes: true)
        var accepted = 0
        var rejected = 0
        // One decoder of each kind for the whole sequence, so `start` is compared too.
        var old = LegacyFoundationDialect.Decoder()
        var new = OpenAIStreamDecoder()
        for round in 0..<500 {
            let bytes = Array(generator.chunk().utf8)
            let expected = old.decode(bytes)
            let actual = Self.decode(bytes, with: &new)
            #expect(actual == expected, "seed \(seed) round \(round): \(String(decoding: bytes, as: UTF8.self))")
            if expected == nil { rejected += 1 } else { accepted += 1 }
        }
        #expect(accepted > 200)
        #expect(rejected > 10)
    }

    @Test("damaged chunks: refused unless still valid JSON, and then read as the old decoder read them", arguments: 0..<4)
    func damaged(seed: Int) {
        var generator = ChunkGenerator(text: JSONTextGenerator(seed: UInt64(seed) &+ 0xDA_3A6E), wrongTypes: false)
        for round in 0..<500 {
            var bytes = Array(generator.chunk().utf8)
            for _ in 0..<Int(generator.text.random.next() % 2 + 1) { bytes = generator.text.mutate(bytes) }
            // Empty data is no frame at all (the decoder skips it), and Foundation reads NUL-led text as UTF-16.
            if bytes.isEmpty || bytes.prefix(4).contains(0) { continue }
            var old = LegacyFoundationDialect.Decoder()
            var new = OpenAIStreamDecoder()
            let expected = old.decode(bytes)
            let actual = Self.decode(bytes, with: &new)
            let context = "seed \(seed) round \(round): \(String(decoding: bytes, as: UTF8.self).debugDescription)"
            guard let tree = try? ScannedValue.read(bytes) else {
                #expect(actual == nil, "invalid JSON accepted: \(context)")
                continue
            }
            if Self.hasDuplicateKeys(tree) { continue }
            #expect(actual == expected, "\(context)")
        }
    }
}
