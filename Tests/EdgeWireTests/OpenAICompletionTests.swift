@testable import EdgeJSON
@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// The hand-written `chat.completion` against the `JSONSerialization` one it replaced: parsed, they are equal.
@Suite("OpenAI completion assembly", .timeLimit(.minutes(5)))
struct OpenAICompletionTests {
    static func parse(_ bytes: [UInt8]) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    }

    static func randomText(_ generator: inout JSONTextGenerator) -> String {
        var text = ""
        for _ in 0..<Int(generator.random.next() % 4) {
            text += generator.pick(["Hel", "lo", " ", "\n", "\"", "\\", "/", "\u{0}", "\u{1F}", "\t", "é", "😀", "中", "\u{7F}", "{\"a\":1}", ""])
        }
        return text
    }

    static func randomEvents(_ generator: inout JSONTextGenerator, start: Bool) -> [StreamEvent] {
        var events: [StreamEvent] = []
        if start { events.append(.start(id: "chatcmpl-\(generator.random.next() % 100)", model: generator.pick(["gpt-4o", "", "m\"x"]), created: 1_700_000_000)) }
        let choices = generator.chance(0.8) ? [0] : [2, 0, 1]
        for _ in 0..<Int(generator.random.next() % 64) {
            let choice = generator.pick(choices)
            switch generator.random.next() % 10 {
            case 0: events.append(.role(choice: choice, role: generator.pick(["assistant", "tool"])))
            case 1: events.append(.reasoning(choice: choice, text: randomText(&generator)))
            case 2:
                let index = Int(generator.random.next() % 3)
                let id: String? = generator.chance(0.3) ? "call_\(index)" : nil
                let name: String? = generator.chance(0.3) ? generator.pick(["get", "_weather", ""]) : nil
                events.append(.toolCall(choice: choice, index: index, id: id, name: name, arguments: randomText(&generator)))
            case 3: events.append(.finish(choice: choice, reason: generator.pick(["stop", "length", "tool_calls"])))
            case 4: events.append(.error(message: "x", type: nil))
            default: events.append(.text(choice: choice, text: randomText(&generator)))
            }
        }
        if generator.chance(0.7) {
            events.append(.usage(TokenUsage(promptTokens: Int(generator.random.next() % 1000), completionTokens: Int(generator.random.next() % 1000))))
        }
        return events
    }

    @Test("random answers: text with every kind of character, reasoning, tool calls, several choices, usage", arguments: 0..<4)
    func generated(seed: Int) throws {
        var generator = JSONTextGenerator(seed: UInt64(seed) &+ 0xA55E_3B1E)
        for round in 0..<250 {
            let withStart = generator.chance(0.8)
            let events = Self.randomEvents(&generator, start: withStart)
            var old = LegacyFoundationDialect.Assembler()
            var new = OpenAICompletionAssembler()
            events.forEach { old.consume($0); new.consume($0) }
            let newBytes = Array(new.answerJSON(fallbackModel: "fallback/model", fallbackID: "chatcmpl-fallback").readableBytesView)
            let expected = try #require(Self.parse(old.answerJSON(fallbackModel: "fallback/model", fallbackID: "chatcmpl-fallback")))
            guard var actual = Self.parse(newBytes) else {
                Issue.record("not JSON: \(String(decoding: newBytes, as: UTF8.self))")
                continue
            }
            #expect(ScannedValue.validates(newBytes))
            if !withStart {
                // Both stamp the current time when the provider sent none.
                let now = Int(Date().timeIntervalSince1970)
                let created = try #require(actual["created"] as? Int)
                #expect(abs(created - now) <= 5)
                actual["created"] = expected["created"]
            }
            #expect(foundationEqual(actual, expected), "seed \(seed) round \(round): \(String(decoding: newBytes, as: UTF8.self))")
        }
    }

    @Test("the shape OpenAI's clients read: tool-call-only content is null, fields in place")
    func shape() throws {
        var assembler = OpenAICompletionAssembler()
        for event: StreamEvent in [
            .start(id: "c1", model: "gpt", created: 5), .role(choice: 0, role: "assistant"),
            .toolCall(choice: 0, index: 1, id: "call_b", name: "second", arguments: "{}"),
            .toolCall(choice: 0, index: 0, id: "call_a", name: "fir", arguments: "{\"a\""),
            .toolCall(choice: 0, index: 0, id: nil, name: "st", arguments: ":1}"), .finish(choice: 0, reason: "tool_calls"),
        ] {
            assembler.consume(event)
        }
        let text = String(buffer: assembler.answerJSON(fallbackModel: "x", fallbackID: "y"))
        #expect(
            text == #"{"id":"c1","object":"chat.completion","created":5,"model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[],"tool_calls":[{"id":"call_a","type":"function","function":{"name":"first","arguments":"{\"a\":1}"}},{"id":"call_b","type":"function","function":{"name":"second","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}]}"#)
        let empty = String(buffer: OpenAICompletionAssembler().answerJSON(fallbackModel: "fb", fallbackID: "id-1"))
        #expect(empty.hasPrefix(#"{"id":"id-1","object":"chat.completion","created":"#))
        #expect(empty.hasSuffix(#","model":"fb","choices":[]}"#))
    }
}
