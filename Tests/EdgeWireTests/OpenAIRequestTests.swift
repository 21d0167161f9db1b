@testable import EdgeJSON
@testable import EdgeWire
import Foundation
import NIOCore
import Testing

/// The request checks and the spliced upstream body against the `JSONSerialization` round trip they replaced.
@Suite("OpenAI requests: checks and the upstream body", .timeLimit(.minutes(5)))
struct OpenAIRequestTests {
    typealias Legacy = LegacyFoundationDialect.Request

    /// Checks one body with both implementations: the same verdict (message and field), and for an accepted body
    /// the same fields and an upstream body that reads as the old one.
    static func compare(_ body: [UInt8], upstreamModel: String = "up-model", _ comment: String) {
        let old = Result { () throws(WireError) in try Legacy.parse(body) }
        let new = Result { () throws(WireError) in try OpenAIChatRequest.parse(body) }
        switch (old, new) {
        case (.failure(let old), .failure(let new)):
            #expect(new.message == old.message, "\(comment)")
            #expect(new.param == old.param, "\(comment)")
        case (.success(let old), .success(let new)):
            #expect(new.model == old.model, "\(comment)")
            #expect(new.stream == old.stream, "\(comment)")
            #expect(new.includeUsage == old.includeUsage, "\(comment)")
            let upstream = new.upstreamBody(model: upstreamModel)
            let bytes = Array(upstream.readableBytesView)
            guard let parsed = foundationParse(bytes) else {
                Issue.record("the upstream body is not JSON: \(String(decoding: bytes, as: UTF8.self)) \(comment)")
                return
            }
            #expect(foundationEqual(parsed, old.upstreamObject(model: upstreamModel)), "\(String(decoding: bytes, as: UTF8.self)) \(comment)")
            #expect(ScannedValue.validates(bytes), "strictly valid: \(comment)")
            #expect(Self.topLevelKeys(bytes).count == Set(Self.topLevelKeys(bytes)).count, "no duplicate keys: \(comment)")
        case (.failure(let old), .success):
            Issue.record("only the new parse accepts (old: \(old.message)): \(comment)")
        case (.success, .failure(let new)):
            Issue.record("only the old parse accepts (new: \(new.message)): \(comment)")
        }
    }

    static func topLevelKeys(_ bytes: [UInt8]) -> [String] {
        guard case .object(let members)? = try? ScannedValue.read(bytes) else { return [] }
        return members.map(\.key)
    }

    static let message = #"{"role":"user","content":"hi"}"#

    @Test("hand-written bodies: every check, its message and field, and what reaches the provider")
    func handWritten() {
        let m = Self.message
        let bodies = [
            #"{"model":"m","messages":[\#(m)]}"#,
            #"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"tools":[{"type":"function"}],"stream":false,"stream_options":{"x":1},"future_field":{"a":[true]}}"#,
            #" { "messages" : [ \#(m) ] , "model" : "m" , "stream" : true , "stream_options" : { "include_usage" : true } } "#,
            #"{"model":"m","messages":[\#(m)],"stream":null,"stream_options":null}"#,
            #"{"model":"m","messages":[\#(m)],"stream_options":{"include_usage":false,"other":[1,{"include_usage":3}]}}"#,
            #"{"model":"a","model":"b","messages":[\#(m)]}"#,
            #"{"model":"m","messages":[\#(m)],"stream":true,"stream":false}"#,
            #"{"mod\u0065l":"m","messages":[\#(m)],"str\u0065am":"x","stream":true}"#,
            #"{"model":"m","messages":[\#(m)],"temperature":1,"temperature":0.5,"t\u0065mperature":0.7}"#,
            #"{"model":"m","messages":[\#(m)],"stream_options":{"include_usage":true,"include_usage":false,"a":1,"a":2}}"#,
            #"{"model":"m","messages":"first","messages":[\#(m)]}"#,
            #"{"model":"m\u00e9\ud83d\ude00","messages":[{"role":"user","content":"\u0000\n\"\\ é 😀"}],"n":12345678901234567890,"f":1e-5}"#,
            #"{"model":"m","messages":[{"role":"user","role":"system"}],"user":"u"}"#,
            // Each check, in the order the old code made them.
            "", "not json", #"{"model":"m","#, #"{"model":"m","messages":[\#(m)]"#, "[1,2]", "[]", #""just a string""#, "42", "null",
            #"{}"#, #"{"messages":[]}"#, #"{"model":null,"messages":[\#(m)]}"#, #"{"model":"","messages":[\#(m)]}"#,
            #"{"model":5,"messages":[\#(m)]}"#, #"{"model":"m"}"#, #"{"model":"m","messages":null}"#, #"{"model":"m","messages":[]}"#,
            #"{"model":"m","messages":"hi"}"#, #"{"model":"m","messages":{}}"#, #"{"model":"m","messages":[\#(m),1]}"#,
            #"{"model":"m","messages":[null]}"#, #"{"model":"m","messages":[\#(m),{"content":"x"}]}"#,
            #"{"model":"m","messages":[{"role":null}]}"#, #"{"model":"m","messages":[{"role":1}]}"#,
            #"{"model":"m","messages":[\#(m)],"stream":1}"#, #"{"model":"m","messages":[\#(m)],"stream":"true"}"#,
            #"{"model":"m","messages":[\#(m)],"stream":0}"#, #"{"model":"m","messages":[\#(m)],"stream_options":[]}"#,
            #"{"model":"m","messages":[\#(m)],"stream_options":true}"#,
            #"{"model":"m","messages":[\#(m)],"stream_options":{"include_usage":1}}"#,
            #"{"model":"m","messages":[\#(m)],"stream_options":{"include_usage":null}}"#,
            #"{"model":"m","messages":[\#(m)],"stream_options":{"include_usage":"yes"}}"#,
            #"{"model":1,"messages":"x","stream":2}"#, #"{"model":"m","messages":[1],"stream":2}"#,
            #"{"model":"m","messages":[\#(m)]} trailing"#, #"{"model":"m","messages":[\#(m)],"x":"\ud800"}"#,
        ]
        for body in bodies {
            Self.compare(Array(body.utf8), body)
        }
    }

    @Test("the upstream body: the router's model first, the client's other members byte for byte, one of each key")
    func splice() throws {
        let body = #"{ "temperature" : 0.10, "model":"client", "messages":[{"role":"user","content":"caf\u00e9 \/"}],"n":1e2,"stream":false,"stream_options":{"include_usage":false,"keep":"me"},"big":123456789012345678901234567890}"#
        let request = try OpenAIChatRequest.parse(Array(body.utf8))
        let upstream = String(buffer: request.upstreamBody(model: #"vendor/"quoted"\model"#))
        #expect(upstream.hasPrefix(#"{"model":"vendor/\"quoted\"\\model","#))
        #expect(upstream.contains(#""temperature" : 0.10"#))
        #expect(upstream.contains(#""messages":[{"role":"user","content":"caf\u00e9 \/"}]"#))
        #expect(upstream.contains(#""n":1e2"#))
        #expect(upstream.contains(#""big":123456789012345678901234567890"#))
        #expect(upstream.hasSuffix(#","stream":true,"stream_options":{"keep":"me","include_usage":true}}"#))
        #expect(Self.topLevelKeys(Array(upstream.utf8)).sorted() == ["big", "messages", "model", "n", "stream", "stream_options", "temperature"])
        // Every attempt gets a body of its own model from the same parse.
        #expect(String(buffer: request.upstreamBody(model: "other")).hasPrefix(#"{"model":"other","#))
    }

    @Test("many top-level keys, duplicated or not, keep the last of each (the hashed path past 16 keys)")
    func manyKeys() throws {
        var members = (0..<40).map { #""k\#($0)":\#($0)"# }
        members += [#""k3":"again""#, #""k\u0031":"escaped""#, #""model":"m""#, #""messages":[\#(Self.message)]"#]
        let body = Array(("{" + members.joined(separator: ",") + "}").utf8)
        Self.compare(body, "40 keys")
        let upstream = Array(try OpenAIChatRequest.parse(body).upstreamBody(model: "x").readableBytesView)
        // k0...k39 once each, messages, and the router's model, stream and stream_options.
        #expect(Self.topLevelKeys(upstream).count == 44)
    }

    @Test("generated bodies: the same verdicts and upstream bodies as the JSONSerialization round trip", arguments: 0..<4)
    func generated(seed: Int) {
        var generator = JSONTextGenerator(seed: UInt64(seed) &+ 0x8E0_11E5)
        var accepted = 0
        for round in 0..<300 {
            var members: [String] = []
            let roles = [#""user""#, #""system""#, #""assistant""#, #""tool""#, #""user""#, #""user""#, "null", "1"]
            let models = [#""gpt""#, #""gpt""#, #""m""#, #""""#, "null", "3"]
            if generator.chance(0.97) {
                let model = generator.chance(0.3) ? generator.stringLiteral(maxPieces: 2) : generator.pick(models)
                members.append(#""model":"# + model)
            }
            if generator.chance(0.95) {
                var messages: [String] = []
                for _ in 0..<Int(generator.random.next() % 3 + (generator.chance(0.9) ? 1 : 0)) {
                    let role = generator.chance(0.98) ? #""role":"# + generator.pick(roles) : #""name":"x""#
                    let content = generator.stringLiteral()
                    messages.append(generator.chance(0.99) ? "{" + role + #","content":"# + content + "}" : "null")
                }
                members.append(#""messages":["# + messages.joined(separator: ",") + "]")
            }
            if generator.chance(0.4) { members.append(#""stream":"# + generator.pick(["true", "false", "true", "false", "null", "1"])) }
            if generator.chance(0.4) {
                let flag = generator.pick(["true", "false", "true", "false", "null", #""y""#])
                let other = generator.value(depth: 1)
                members.append(#""stream_options":{"include_usage":"# + flag + #","other":"# + other + "}")
            }
            for index in 0..<Int(generator.random.next() % 5) {
                let value = generator.value(depth: 3)
                members.append(#""extra_\#(index % 3)":"# + value)
            }
            members.shuffle(using: &generator.random)
            let text = generator.whitespace() + "{" + members.map { generator.whitespace() + $0 }.joined(separator: ",") + "}"
            let body = Array(text.utf8)
            // Foundation refuses numbers past Double's range where the router forwards them (see below).
            if let tree = try? ScannedValue.read(body), tree.hasOverflowingNumber { continue }
            Self.compare(body, "seed \(seed) round \(round): \(text)")
            if (try? OpenAIChatRequest.parse(body)) != nil { accepted += 1 }
        }
        #expect(accepted > 40)
    }

    @Test("deliberate differences: trailing commas are refused, numbers past Double's range are forwarded")
    func deliberateDifferences() throws {
        let trailing = Array(#"{"model":"m","messages":[{"role":"user"}],}"#.utf8)
        #expect((try? Legacy.parse(trailing)) != nil)
        #expect(throws: WireError.self) { try OpenAIChatRequest.parse(trailing) }
        let huge = Array(#"{"model":"m","messages":[{"role":"user"}],"x":1e400}"#.utf8)
        #expect((try? Legacy.parse(huge)) == nil)
        #expect(String(buffer: try OpenAIChatRequest.parse(huge).upstreamBody(model: "u")).contains(#""x":1e400"#))
    }
}
