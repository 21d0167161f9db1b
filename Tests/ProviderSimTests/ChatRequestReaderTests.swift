import Foundation
import NIOCore
@testable import ProviderSim
import Testing

@Suite("Chat request reader", .timeLimit(.minutes(5)))
struct ChatRequestReaderTests {
    /// What the simulator read with Foundation before: the reference the reader must agree with, except that a
    /// trailing comma, which Foundation accepted, is refused (RFC 8259; one strict parser everywhere).
    static func reference(_ text: String) -> ChatRequest? {
        guard !hasTrailingComma(text),
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let model = object["model"] as? String
        else { return nil }
        // Of the answer's options, only `n` is in these bodies: whole numbers, clamped to 1...maxChoices.
        var options = AnswerOptions()
        if let n = object["n"] as? Int { options.choices = min(max(n, 1), AnswerOptions.maxChoices) }
        return ChatRequest(
            model: model, stream: object["stream"] as? Bool ?? false,
            includeUsage: (object["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false,
            options: options)
    }

    /// Whether a `,` outside strings is followed, past whitespace, by `}` or `]` (exact for the JSON Foundation
    /// accepts, which is all the reference needs).
    static func hasTrailingComma(_ text: String) -> Bool {
        var inString = false
        var escaped = false
        var comma = false
        for byte in text.utf8 {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if comma { return true }
            case UInt8(ascii: "\""): inString = true
            default: break
            }
            comma = byte == UInt8(ascii: ",")
        }
        return false
    }

    static func parse(_ text: String) -> ChatRequest? { ChatRequest(body: ByteBuffer(string: text)) }

    static let valid = [
        #"{"model":"bench","stream":false,"messages":[{"role":"user","content":"Say hello."}]}"#,
        #"{"model":"x","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"#,
        #" { "messages" : [ ] , "model" : "gpt-4o" , "stream" : true , "stream_options" : { "include_usage" : false } } "#,
        #"{"model":"a\"b\\c\/d\n\u00e9\ud83d\ude00","temperature":0.7,"max_tokens":1e3,"n":-1,"x":[1,2.5,-0.0,3E-2,true,null,{}]}"#,
        #"{"model":"é😀","stream":null,"stream_options":null}"#,
        #"{"model":"m","stream":"yes","stream_options":{"include_usage":"true"}}"#,
        #"{"model":"first","model":"second","stream":true,"stream":false}"#,
        #"{"model":"m","stream_options":{"include_usage":true},"stream_options":{}}"#,
        #"{"mod\u0065l":"escaped key","str\u0065am":true}"#,
        #"{"model":"m","nested":{"model":"inner","stream":true,"stream_options":{"include_usage":true}}}"#,
        #"{"model":"m","stream_options":{"nested":{"include_usage":true}}}"#,
    ]

    static let invalid = [
        "", " ", "null", "[]", #""model""#, "42", "{", "}", #"{"model":"m""#, #"{"model":"m"} x"#,
        #"{"model":12}"#, #"{"model":null}"#, #"{"stream":true}"#, #"{model:"m"}"#, #"{'model':'m'}"#,
        #"{"model":"m","x":01}"#, #"{"model":"m","x":1.}"#, #"{"model":"m","x":.5}"#, #"{"model":"m","x":+1}"#,
        #"{"model":"m","x":1e}"#, #"{"model":"m","x":tru}"#, #"{"model":"m","x":[1 2]}"#,
        #"{"model":"a\qb"}"#, #"{"model":"a\u12"}"#, #"{"model":"\ud83d"}"#, #"{"model":"\ude00"}"#,
        "{\"model\":\"tab\there\"}", "{\"model\":\"m\"}\u{0}", #"{"model":"m","x":NaN}"#, "{,}", #"{"model":"m","x":[,]}"#, #"{"model":"m",,}"#,
    ]

    @Test("agrees with Foundation on valid bodies", arguments: valid)
    func validBodies(_ text: String) {
        #expect(Self.reference(text) != nil)
        #expect(Self.parse(text) == Self.reference(text))
    }

    @Test("refuses what Foundation refused", arguments: invalid)
    func invalidBodies(_ text: String) {
        #expect(Self.reference(text) == nil)
        #expect(Self.parse(text) == nil)
    }

    @Test("a trailing comma is refused, as RFC 8259 has it (Foundation accepted it)")
    func trailingCommas() {
        for text in [
            #"{"model":"m","x":[1,],"stream_options":{"include_usage":true,},}"#, #"{"model":"m",}"#,
            #"{"model":"m","x":[1,]}"#, #"{"model":"m","stream_options":{"include_usage":true,}}"#,
        ] {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil)
            #expect(Self.hasTrailingComma(text))
            #expect(Self.parse(text) == nil, "\(text)")
        }
        #expect(!Self.hasTrailingComma(#"{"model":"a,}","x":["\",]"]}"#))
    }

    @Test("malformed UTF-8 is refused")
    func badUTF8() {
        for bytes: [UInt8] in [[0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80]] {
            let body = Array(#"{"model":""#.utf8) + bytes + Array(#""}"#.utf8)
            #expect(ChatRequest(body: ByteBuffer(bytes: body)) == nil)
        }
    }

    @Test("deep nesting is refused, not a crash")
    func depth() {
        let deep = #"{"model":"m","x":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(Self.parse(deep) == nil)
    }

    @Test("mutated bodies: same verdict and fields as Foundation")
    func mutations() {
        var random = SeededRandom(seed: 2024)
        let alphabet = Array(#"{}[]":,\ntrufalsenl0123456789.eE+-"modelstream_optionsinclude_usage é"#.utf8)
        var disagreements: [String] = []
        for round in 0..<20_000 {
            var bytes = Array(Self.valid[round % Self.valid.count].utf8)
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let position = Int(random.next() % UInt64(bytes.count + 1))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1 where position < bytes.count: bytes[position] = byte
                default: bytes.insert(byte, at: position)
                }
            }
            // Foundation reads only well-formed UTF-8 as text; the mutations keep to it.
            guard let text = String(validating: bytes, as: UTF8.self) else { continue }
            if Self.parse(text) != Self.reference(text) { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}
