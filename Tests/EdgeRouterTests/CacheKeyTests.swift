@testable import EdgeRouter
import EdgeJSON
import Foundation
import HTTPTypes
import RoutingCore
import Testing

/// The response cache's parts without a server: the key's canonical form, the byte-bounded LRU store, and the
/// request headers that steer the cache.
@Suite("Response cache: key canonicalisation, LRU store, request options", .timeLimit(.minutes(1)))
struct CacheKeyTests {
    static func key(
        _ body: String, tenant: String = "t", dialect: Dialect = .openai, model: String = "m",
        passedOn: [(name: String, value: String)] = [], responses: Bool = false
    ) -> CacheKey.Canonical? {
        var bytes = Array(body.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            CacheKey.make(
                tenant: tenant, dialect: dialect, model: model, passedOn: passedOn, body: UnsafeBufferPointer(buffer),
                responses: responses)
        }
    }

    static let base = #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":50}"#

    @Test("the order of fields, whitespace and string escapes do not change the key")
    func orderDoesNotMatter() throws {
        let first = try #require(Self.key(Self.base))
        let reordered = try #require(
            Self.key(#"{ "max_tokens": 50, "temperature": 0, "messages": [ {"content": "\u0048i", "role": "user"} ], "model": "m" }"#))
        #expect(first.key == reordered.key)
    }

    @Test("fields that do not change the answer (stream, stream_options, user, metadata, store, model) do not change the key")
    func excludedFieldsDoNotMatter() throws {
        let first = try #require(Self.key(Self.base))
        let withExtras = try #require(
            Self.key(
                #"{"model":"other","stream":true,"stream_options":{"include_usage":true},"user":"u1","metadata":{"a":"b"},"store":false,"#
                    + #""messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":50}"#))
        #expect(first.key == withExtras.key)
    }

    @Test("every field that changes the answer changes the key: messages, temperature, max_tokens, tools, seed, top_p, stop, nested values")
    func answerChangingFieldsMatter() throws {
        let first = try #require(Self.key(Self.base)).key
        let variants = [
            #"{"model":"m","messages":[{"role":"user","content":"Hi!"}],"temperature":0,"max_tokens":50}"#,
            #"{"model":"m","messages":[{"role":"system","content":"Hi"}],"temperature":0,"max_tokens":50}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0.5,"max_tokens":50}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":51}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":50,"seed":1}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":50,"top_p":0.9}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":50,"stop":["x"]}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":50,"tools":[{"type":"function","function":{"name":"f"}}]}"#,
            #"{"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hi"}],"temperature":0,"max_tokens":50}"#,
        ]
        var seen: Set<CacheKey> = [first]
        for variant in variants {
            let key = try #require(Self.key(variant)).key
            #expect(seen.insert(key).inserted, "\(variant) has the key of an earlier body")
        }
    }

    @Test("the tenant, the dialect, the model named and the passed-on headers each change the key")
    func contextMatters() throws {
        let first = try #require(Self.key(Self.base)).key
        #expect(try #require(Self.key(Self.base, tenant: "other")).key != first)
        #expect(try #require(Self.key(Self.base, dialect: .anthropic)).key != first)
        #expect(try #require(Self.key(Self.base, model: "sim/m")).key != first)
        #expect(try #require(Self.key(Self.base, passedOn: [("anthropic-beta", "x")])).key != first)
    }

    @Test("a request is deterministic with temperature 0 or a seed (Gemini's in generationConfig), not without")
    func determinism() throws {
        #expect(try #require(Self.key(Self.base)).isDeterministic)
        #expect(try #require(Self.key(#"{"messages":[],"temperature":0.0}"#)).isDeterministic)
        #expect(try #require(Self.key(#"{"messages":[],"temperature":0.7,"seed":3}"#)).isDeterministic)
        #expect(try #require(Self.key(#"{"messages":[]}"#)).isDeterministic == false)
        #expect(try #require(Self.key(#"{"messages":[],"temperature":1}"#)).isDeterministic == false)
        #expect(try #require(Self.key(#"{"messages":[],"seed":null,"temperature":1}"#)).isDeterministic == false)
        #expect(try #require(Self.key(#"{"contents":[],"generationConfig":{"temperature":0}}"#, dialect: .gemini)).isDeterministic)
        #expect(try #require(Self.key(#"{"contents":[],"generationConfig":{"seed":9}}"#, dialect: .gemini)).isDeterministic)
        #expect(try #require(Self.key(#"{"contents":[],"temperature":0.0001}"#, dialect: .gemini)).isDeterministic == false)
    }

    @Test("the last of duplicate keys wins, as the dialects' readers have it; text that is not JSON has no key")
    func duplicatesAndGarbage() throws {
        let duplicate = try #require(Self.key(#"{"temperature":1,"messages":[{"role":"user","content":"Hi"}],"temperature":0,"max_tokens":50,"model":"m"}"#))
        #expect(duplicate.key == Self.key(Self.base)?.key)
        #expect(Self.key(#"{"messages":"#) == nil)
        #expect(Self.key("") == nil)
    }

    @Test("the canonical text: members sorted by their quoted key's bytes at every level, the last duplicate kept, strings re-escaped, numbers as written, excluded fields only at the top")
    func canonicalText() throws {
        func canonical(_ text: String, excluding: Set<String> = []) throws -> String {
            var bytes = Array(text.utf8)
            return try bytes.withUnsafeMutableBufferPointer { buffer in
                String(decoding: try CanonicalJSON(UnsafeBufferPointer(buffer), excluding: excluding).bytes, as: UTF8.self)
            }
        }
        let body = #" { "b" : 1.50, "a\u0062" : [ true , null, { "z": "\u0041\n\"é\u00e9", "stream": 2, "y": {} } ], "#
            + #""a": -0, "stream": false, "b": [], "\u0041": "caf\u00e9 ☕", "a\"q": "" } "#
        #expect(try canonical(body, excluding: ["stream"]) == #"{"A":"café ☕","a":-0,"a\"q":"","ab":[true,null,{"stream":2,"y":{},"z":"A\n\"éé"}],"b":[]}"#)
        #expect(try canonical(#"[{"b":{"d":1,"c":2},"a":3},"x",[]]"#) == #"[{"a":3,"b":{"c":2,"d":1}},"x",[]]"#)
        #expect(try canonical(#"{"k":1,"k":2,"j":0,"k":3}"#) == #"{"j":0,"k":3}"#)
        #expect(throws: JSONScanner.Failure.self) { try canonical(#"{"a":1,}"#) }
    }

    @Test("the LRU store evicts the least recently used entries until a new one fits, and refuses one larger than the bound")
    func lruEvictsBySize() {
        var store = LRUByteStore<String, Int>(maxBytes: 100)
        var effects = LRUByteStore<String, Int>.Effects()
        let later = ContinuousClock.now + .seconds(60)
        store.insert(1, bytes: 40, for: "a", expires: later, effects: &effects)
        store.insert(2, bytes: 40, for: "b", expires: later, effects: &effects)
        #expect(store.value(for: "a", now: .now, effects: &effects) == 1)  // a is now the most recent
        store.insert(3, bytes: 40, for: "c", expires: later, effects: &effects)
        #expect(effects.evicted == 1)
        #expect(store.keysByRecency == ["c", "a"])
        #expect(store.bytes == 80)
        #expect(store.insert(4, bytes: 101, for: "d", expires: later, effects: &effects) == false)
        #expect(store.count == 2)
        store.insert(5, bytes: 100, for: "e", expires: later, effects: &effects)
        #expect(store.keysByRecency == ["e"])
        #expect(effects.evicted == 3)
    }

    @Test("an expired entry is not returned and is dropped; replacing a key keeps one entry")
    func lruExpiresAndReplaces() {
        var store = LRUByteStore<String, Int>(maxBytes: 100)
        var effects = LRUByteStore<String, Int>.Effects()
        let now = ContinuousClock.now
        store.insert(1, bytes: 10, for: "a", expires: now + .milliseconds(5), effects: &effects)
        store.insert(2, bytes: 20, for: "b", expires: now + .seconds(60), effects: &effects)
        store.insert(3, bytes: 30, for: "b", expires: now + .seconds(60), effects: &effects)
        #expect(store.value(for: "a", now: now + .seconds(1), effects: &effects) == nil)
        #expect(effects.expired == 1)
        #expect(store.count == 1)
        #expect(store.bytes == 30)
        #expect(store.value(for: "b", now: now, effects: &effects) == 3)
    }

    @Test("x-edge-cache-ttl opts a request in (0 out, capped by max_request_ttl_ms); Cache-Control's no-cache and no-store are read; a bad TTL is refused")
    func requestOptions() throws {
        let policy = CachePolicy(ttl: .seconds(10))
        let none = try CacheRequestOptions([:], maxTTL: .seconds(100))
        #expect(none.effective(nil) == nil)
        #expect(none.effective(policy) == policy)
        let asked = try CacheRequestOptions([.edgeCacheTTL: "30"], maxTTL: .seconds(100))
        #expect(asked.effective(nil)?.ttl == .seconds(30))
        #expect(asked.effective(policy)?.ttl == .seconds(30))
        #expect(try CacheRequestOptions([.edgeCacheTTL: "1000"], maxTTL: .seconds(100)).effective(nil)?.ttl == .seconds(100))
        #expect(try CacheRequestOptions([.edgeCacheTTL: "0"], maxTTL: .seconds(100)).effective(policy) == nil)
        let control = try CacheRequestOptions([.cacheControl: "max-age=0, No-Cache", .edgeCacheTTL: " 5 "], maxTTL: .seconds(100))
        #expect(control.bypassLookup && !control.noStore)
        #expect(try CacheRequestOptions([.cacheControl: "no-store"], maxTTL: .seconds(100)).noStore)
        for bad in ["-1", "1.5", "abc", "", "9999999999"] {
            #expect(throws: EdgeRouterError.self) { try CacheRequestOptions([.edgeCacheTTL: bad], maxTTL: .seconds(100)) }
        }
    }

    @Test("a Responses API body has a key apart from the same body to chat completions; store, stream and metadata leave it unchanged, previous_response_id changes it")
    func responsesKey() throws {
        let body = #"{"model":"m","input":"Hi","temperature":0}"#
        let responses = try #require(Self.key(body, responses: true))
        #expect(responses.isDeterministic)
        #expect(try #require(Self.key(body)).key != responses.key)
        let unchanged = #"{"model":"other","input":"Hi","temperature":0,"store":false,"stream":true,"metadata":{"a":"b"},"user":"u"}"#
        #expect(try #require(Self.key(unchanged, responses: true)).key == responses.key)
        let followUp = #"{"model":"m","input":"Hi","temperature":0,"previous_response_id":"resp_1"}"#
        #expect(try #require(Self.key(followUp, responses: true)).key != responses.key)
        #expect(try #require(Self.key(#"{"model":"m","input":"Hi","temperature":0,"instructions":"Be brief."}"#, responses: true)).key != responses.key)
    }

    /// ``ConfigurationTests/valid`` with its first key replaced by `entries` (flow mappings, one per key).
    static func withKeys(_ entries: [String]) -> String {
        let first = #"- { id: team-a, key: "${TEAM_A_KEY}", models: [gpt-latest] }"#
        let yaml = ConfigurationTests.valid.replacingOccurrences(of: first, with: entries.map { "- \($0)" }.joined(separator: "\n  "))
        precondition(yaml != ConfigurationTests.valid, "the valid configuration's first key moved")
        return yaml
    }

    @Test("a key's disabled policy (cache: false) turns the cache off even when a request's x-edge-cache-ttl asks for it")
    func disabledPolicyWins() throws {
        let asked = try CacheRequestOptions([.edgeCacheTTL: "30"], maxTTL: .seconds(100))
        #expect(asked.effective(.disabled) == nil)
        #expect(try CacheRequestOptions([:], maxTTL: .seconds(100)).effective(.disabled) == nil)
        #expect(asked.effective(CachePolicy(replayPacing: .fixed(.milliseconds(5))))?.replayPacing == .fixed(.milliseconds(5)))
    }

    @Test("cache: false and {enabled: false} on a key read as disabled, on a model as no policy; replay_pacing_ms is read as milliseconds or original")
    func policyConfiguration() throws {
        let yaml = Self.withKeys([
            #"{ id: team-a, key: "${TEAM_A_KEY}", models: [gpt-latest], cache: false }"#,
            "{ id: team-c, key: team-c-key-0001, cache: { enabled: false, ttl_ms: 1000 } }",
            "{ id: team-d, key: team-d-key-0001, cache: { ttl_ms: 1000, replay_pacing_ms: 25 } }",
            "{ id: team-e, key: team-e-key-0001, cache: { enabled: true } }",
            "{ id: team-f, key: team-f-key-0001, cache: { replay_pacing_ms: original } }",
        ])
        let configuration = try ConfigurationLoader.parse(yaml: yaml, environment: ConfigurationTests.environment)
        func policy(_ id: String) -> CachePolicy? { configuration.keys.keys.first { $0.id == id }?.cache }
        #expect(policy("team-a") == .disabled)
        #expect(policy("team-c") == .disabled)
        #expect(policy("team-d") == CachePolicy(ttl: .seconds(1), replayPacing: .fixed(.milliseconds(25))))
        #expect(policy("team-e") == CachePolicy())
        #expect(policy("team-f") == CachePolicy(replayPacing: .original))
        #expect(policy("team-b") == nil)
    }

    @Test("edge-router check reports a replay_pacing_ms past 10 s or neither a number nor original, an enabled that is not a boolean and an unknown cache field")
    func policyMistakes() {
        let yaml = Self.withKeys([
            #"{ id: team-a, key: "${TEAM_A_KEY}", models: [gpt-latest], cache: { replay_pacing_ms: 20000 } }"#,
            "{ id: team-c, key: team-c-key-0001, cache: { enabled: maybe } }",
            "{ id: team-d, key: team-d-key-0001, cache: { pacing: 5 } }",
            "{ id: team-e, key: team-e-key-0001, cache: { replay_pacing_ms: as-sent } }",
        ])
        let issues = ConfigurationTests.issues(yaml)
        #expect(issues.contains { $0.contains("cache.replay_pacing_ms") && $0.contains("0...10000") && $0.contains("20000") }, "\(issues)")
        #expect(issues.contains { $0.contains("cache.replay_pacing_ms") && $0.contains("or original, got 'as-sent'") }, "\(issues)")
        #expect(issues.contains { $0.contains("cache.enabled") && $0.contains("expected true or false") }, "\(issues)")
        #expect(issues.contains { $0.contains("pacing") }, "\(issues)")
    }
}
