import Foundation
import Testing

@testable import ProviderSim

@Suite("Control body reader", .timeLimit(.minutes(5)))
struct ControlBodyReaderTests {
    static func read(_ text: String) -> [String: Any]? {
        Array(text.utf8).withUnsafeBufferPointer { ControlBodyReader.read($0) }
    }

    static func apply(_ text: String) throws {
        var settings = SimulatorSettings()
        try settings.apply(json: try #require(read(text)))
    }

    @Test("numbers, booleans, strings and null are read as the settings expect them")
    func values() throws {
        var settings = SimulatorSettings()
        try settings.apply(
            json: try #require(Self.read(#"{"ttft_ms": 250, "tokens_per_second": 12.5, "hang": true, "required_api_key": "k", "prompt_tokens": null}"#)))
        #expect(settings.ttftMilliseconds == 250)
        #expect(settings.tokensPerSecond == 12.5)
        #expect(settings.hang)
        #expect(settings.requiredAPIKey == "k")
        #expect(settings.promptTokens == nil)
    }

    @Test("what is not one JSON object is refused: text, an array, a trailing comma, two documents")
    func notAnObject() {
        for text in ["", "nope", "[1]", #"{"ttft_ms": 1,}"#, #"{"ttft_ms": 1} {}"#, #"{"ttft_ms": 1"#] {
            #expect(Self.read(text) == nil, "\(text)")
        }
    }

    @Test("a nested value, a number out of Double's range and a number given for a flag are each the field's error")
    func wrongTypes() {
        #expect(throws: SimulatorError.self) { try Self.apply(#"{"ttft_ms": [1]}"#) }
        #expect(throws: SimulatorError.self) { try Self.apply(#"{"ttft_ms": {"a": 1}}"#) }
        #expect(throws: SimulatorError.self) { try Self.apply(#"{"ttft_ms": 1e400}"#) }
        #expect(throws: SimulatorError.self) { try Self.apply(#"{"hang": 1}"#) }
        #expect(throws: SimulatorError.self) { try Self.apply(#"{"ttft_ms": true}"#) }
    }
}
