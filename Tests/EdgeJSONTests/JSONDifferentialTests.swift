@testable import EdgeJSON
import Foundation
import Testing

/// The scanner against `JSONSerialization` on the same bytes: same verdict, same values. The two known
/// differences are checked for what they are: Foundation accepts trailing commas (`[1,]`), and refuses numbers
/// outside `Double`'s range that the scanner, which never converts a skipped number, lets through.
@Suite("JSON scanner against JSONSerialization", .timeLimit(.minutes(5)))
struct JSONDifferentialTests {
    enum Verdict: Equatable {
        case bothAccept, bothReject, onlyFoundationAccepts, onlyScannerAccepts
    }

    /// Compares the two readers on one document; returns the verdict after checking that any disagreement is
    /// one of the known differences and that accepted documents read the same.
    @discardableResult
    static func compare(_ bytes: [UInt8], _ comment: @autoclosure () -> String) -> Verdict {
        let theirs = foundationParse(bytes)
        let mine = try? ScannedValue.read(bytes)
        #expect((mine != nil) == ScannedValue.validates(bytes), "read and skip disagree: \(comment())")
        switch (mine, theirs) {
        case (let mine?, let theirs?):
            #expect(mine.matches(theirs), "different values: \(comment())")
            return .bothAccept
        case (nil, nil):
            return .bothReject
        case (nil, _?):
            let explained = removingTrailingCommas(bytes).map { ScannedValue.validates($0) } ?? false
            #expect(explained, "only Foundation accepts, and not for a trailing comma: \(comment())")
            return .onlyFoundationAccepts
        case (let mine?, nil):
            #expect(mine.hasOverflowingNumber, "only the scanner accepts, and not for a number out of range: \(comment())")
            return .onlyScannerAccepts
        }
    }

    static func describe(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).debugDescription + " \(bytes.count) bytes"
    }

    @Test("hand-written frames: chunks, errors, tool calls, escapes, numbers, garbage")
    func handWritten() {
        let frames = [
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            #"{"id":"c","choices":[{"index":0,"delta":{"content":"Hello \"world\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00"}}]}"#,
            #"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"units\":[\"c\"]}"}}]}}]}"#,
            #"{"id":"c","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46,"prompt_tokens_details":{"cached_tokens":0}}}"#,
            #"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
            #"{"id":"c","choices":null,"usage":null}"#,
            #"{"x":[1e308,-1e-308,123456789012345678901234567890,-0,0.0,1E+2,2.5e-3]}"#,
            #"{"deep":[[[[[[[[[[{"a":[{"b":{"c":[null,true,false]}}]}]]]]]]]]]]}"#,
            #"{"a":1,"a":2,"a":{"b":3}}"#,
            "  {\n\t\"id\" : \"c\" ,\r\n \"choices\" : [ ] \n}  ",
            "{\"content\":\"\u{7F}é中😀\u{10FFFF}\u{2028}\"}",
            #"{"id":"c","choices":[{"index":0,"delta":{"content":"x"}}]"#,
            #"{"id":"c","choices":[{"index":0,"delta":{"content":"x}}]}"#,
            #"{"id":"c",}"#, #"{"id":"c" "model":"m"}"#, #"{"id":'c'}"#, #"{"id":"\ud800"}"#, #"{"n":01}"#,
            #"{"n":1.}"#, #"{"n":-}"#, #"{"n":1e400}"#, "data: {}", "[DONE]", "{}\n{}", "<html>502 Bad Gateway</html>", "",
        ]
        var verdicts: [Verdict: Int] = [:]
        for frame in frames {
            verdicts[Self.compare(Array(frame.utf8), frame), default: 0] += 1
        }
        #expect(verdicts[.bothAccept, default: 0] >= 10)
        #expect(verdicts[.bothReject, default: 0] >= 10)
        #expect(verdicts[.onlyFoundationAccepts] == 1)  // {"id":"c",}
        #expect(verdicts[.onlyScannerAccepts] == 1)  // 1e400
    }

    @Test("generated documents: both accept, with the same values", arguments: 0..<4)
    func generated(seed: Int) {
        var generator = JSONTextGenerator(seed: UInt64(seed) &* 0x9E37_79B9 &+ 1)
        for round in 0..<600 {
            let text = generator.whitespace() + generator.value(depth: 5) + generator.whitespace()
            let verdict = Self.compare(Array(text.utf8), "seed \(seed) round \(round): \(text.debugDescription)")
            #expect(verdict == .bothAccept, "seed \(seed) round \(round): \(text.debugDescription)")
        }
    }

    @Test("damaged documents: truncated, bytes changed, removed, inserted, repeated", arguments: 0..<4)
    func damaged(seed: Int) {
        var generator = JSONTextGenerator(seed: UInt64(seed) &* 0xC2B2_AE35 &+ 7)
        var verdicts: [Verdict: Int] = [:]
        for round in 0..<600 {
            let original = Array(generator.value(depth: 4).utf8)
            var bytes = original
            for _ in 0..<Int(generator.random.next() % 3 + 1) { bytes = generator.mutate(bytes) }
            // Foundation reads a document with NUL bytes among its first four as UTF-16 or UTF-32; the router's
            // input is UTF-8 only.
            if bytes.prefix(4).contains(0) { continue }
            verdicts[Self.compare(bytes, "seed \(seed) round \(round): \(Self.describe(bytes))"), default: 0] += 1
        }
        #expect(verdicts[.bothAccept, default: 0] > 50)
        #expect(verdicts[.bothReject, default: 0] > 200)
    }
}
