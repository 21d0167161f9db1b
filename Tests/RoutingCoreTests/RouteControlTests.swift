import RoutingCore
import Testing

@Suite("RouteControl", .timeLimit(.minutes(5)))
struct RouteControlTests {
    private func message(_ header: String) -> String? {
        do {
            _ = try RouteControl(header: header)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("an empty object changes nothing")
    func empty() throws {
        #expect(try RouteControl(header: "{}") == .none)
        #expect(try RouteControl(header: "  { }  ") == .none)
        #expect(RouteControl.none.allowFallbacks)
    }

    @Test("every field")
    func allFields() throws {
        let control = try RouteControl(
            header: """
                {"order": ["groq", "together"], "only": ["groq", "together", "fireworks"], "ignore": ["openai"],
                 "sort": "price", "allow_fallbacks": false, "max_ttft_ms": 800.5}
                """)
        #expect(control.order.ids == ["groq", "together"])
        #expect(control.order.hashes == [ProviderIDHash.hash(of: "groq"), ProviderIDHash.hash(of: "together")])
        #expect(control.only?.ids == ["groq", "together", "fireworks"])
        #expect(control.ignore.ids == ["openai"])
        #expect(control.sort == .price)
        #expect(control.allowFallbacks == false)
        #expect(control.maxTTFTNanos == 800_500_000)
    }

    @Test("null counts as absent")
    func nulls() throws {
        let control = try RouteControl(
            header: #"{"order": null, "only": null, "sort": null, "allow_fallbacks": null, "max_ttft_ms": null}"#)
        #expect(control == .none)
    }

    @Test("an unknown field is named")
    func unknownField() {
        #expect(message(#"{"prefer": ["groq"]}"#) == "x-edge-route: unknown field 'prefer'")
        #expect(message(#"{"order": [], "allowFallbacks": true}"#) == "x-edge-route: unknown field 'allowFallbacks'")
        // A hostile key is shown bounded and without control characters.
        let long = String(repeating: "k", count: 200)
        #expect(
            message("{\"\(long)\\n\": 1}") == "x-edge-route: unknown field '\(String(repeating: "k", count: 64))...'")
    }

    @Test("provider lists must be arrays of non-empty strings")
    func providerListTypes() {
        for field in ["order", "only", "ignore"] {
            let expected = "x-edge-route: '\(field)' must be an array of provider ids"
            #expect(message("{\"\(field)\": \"groq\"}") == expected)
            #expect(message("{\"\(field)\": [1]}") == expected)
            #expect(message("{\"\(field)\": [\"\"]}") == expected)
            #expect(message("{\"\(field)\": [[\"groq\"]]}") == expected)
            #expect(message("{\"\(field)\": {\"groq\": true}}") == expected)
        }
        #expect(message(#"{"only": []}"#) == "x-edge-route: 'only' must list at least one provider id")
        #expect(throws: Never.self) { try RouteControl(header: #"{"order": [], "ignore": []}"#) }
    }

    @Test("sort is ttft or price")
    func sortValues() throws {
        #expect(try RouteControl(header: #"{"sort": "ttft"}"#).sort == .ttft)
        #expect(message(#"{"sort": "fastest"}"#) == #"x-edge-route: 'sort' must be "ttft" or "price""#)
        #expect(message(#"{"sort": 1}"#) == #"x-edge-route: 'sort' must be "ttft" or "price""#)
    }

    @Test("allow_fallbacks is a JSON boolean, not a number or a string")
    func allowFallbacksType() throws {
        #expect(try RouteControl(header: #"{"allow_fallbacks": true}"#).allowFallbacks)
        for value in ["1", "0", "\"false\""] {
            #expect(
                message("{\"allow_fallbacks\": \(value)}") == "x-edge-route: 'allow_fallbacks' must be true or false")
        }
    }

    @Test("max_ttft_ms is a positive number of milliseconds")
    func maxTTFT() throws {
        #expect(try RouteControl(header: #"{"max_ttft_ms": 250}"#).maxTTFTNanos == 250_000_000)
        #expect(try RouteControl(header: #"{"max_ttft_ms": 1.5e3}"#).maxTTFTNanos == 1_500_000_000)
        #expect(try RouteControl(header: #"{"max_ttft_ms": 1e300}"#).maxTTFTNanos == .max)
        for value in ["0", "-5", "\"800\"", "true"] {
            #expect(
                message("{\"max_ttft_ms\": \(value)}")
                    == "x-edge-route: 'max_ttft_ms' must be a positive number of milliseconds")
        }
    }

    @Test("bad JSON is refused, naming the field it is in")
    func badJSON() {
        #expect(message("") == "x-edge-route: must be a JSON object")
        #expect(message("not json") == "x-edge-route: must be a JSON object")
        #expect(message(#"["groq"]"#) == "x-edge-route: must be a JSON object")
        #expect(message(#"{"order": ["groq""#)?.hasPrefix("x-edge-route: invalid JSON in 'order' at byte 17") == true)
        #expect(
            message(#"{"max_ttft_ms": 5 6}"#)
                == "x-edge-route: invalid JSON after 'max_ttft_ms' at byte 18: expected ',' or '}'")
        #expect(message(#"{"max_ttft_ms": 1.}"#)?.hasPrefix("x-edge-route: invalid JSON in 'max_ttft_ms'") == true)
        #expect(message(#"{"sort": tru}"#)?.hasPrefix("x-edge-route: invalid JSON in 'sort'") == true)
        #expect(message(#"{"sort": "ttft",}"#)?.hasPrefix("x-edge-route: invalid JSON") == true)
        #expect(message(#"{"sort" "ttft"}"#)?.hasPrefix("x-edge-route: invalid JSON in 'sort'") == true)
        #expect(message(#"{"sort": "ttft"} {}"#) == "x-edge-route: invalid JSON at byte 17: expected the end")
        #expect(message("{\"order\": [\"gr\u{1}oq\"]}")?.hasPrefix("x-edge-route: invalid JSON in 'order'") == true)
        #expect(message(#"{order: []}"#)?.hasPrefix("x-edge-route: invalid JSON") == true)
    }

    @Test("a key is judged before its ':', and a byte order mark is no JSON object here")
    func keyBeforeColon() {
        #expect(message(#"{"prefer" ["groq"]}"#) == "x-edge-route: unknown field 'prefer'")
        #expect(message(#"{"sort" "ttft"}"#) == "x-edge-route: invalid JSON in 'sort' at byte 8: expected ':'")
        #expect(message(#"{"order": ["gr\u00"]}"#) == "x-edge-route: invalid JSON in 'order' at byte 18: expected four hex digits")
        #expect(message("\u{FEFF}{}") == "x-edge-route: must be a JSON object")
    }

    @Test("a field may appear once")
    func duplicates() {
        #expect(message(#"{"order": ["a"], "order": ["b"]}"#) == "x-edge-route: duplicate field 'order'")
    }

    @Test("string escapes, including surrogate pairs")
    func escapes() throws {
        let control = try RouteControl(header: #"{"order": ["gr\u006fq", "a\/b", "tab\t", "\ud83d\ude80"]}"#)
        #expect(control.order.ids == ["groq", "a/b", "tab\t", "🚀"])
        #expect(message(#"{"order": ["\ud83d"]}"#)?.hasPrefix("x-edge-route: invalid JSON in 'order'") == true)
        #expect(message(#"{"order": ["\ude80"]}"#)?.hasPrefix("x-edge-route: invalid JSON in 'order'") == true)
        #expect(message(#"{"order": ["\x"]}"#)?.hasPrefix("x-edge-route: invalid JSON in 'order'") == true)
        #expect(message(#"{"order": ["\u12"]}"#)?.hasPrefix("x-edge-route: invalid JSON in 'order'") == true)
    }

    @Test("deep nesting and long headers are refused before they cost anything")
    func limits() {
        let deep = "{\"order\": " + String(repeating: "[", count: 10_000) + "}"
        #expect(message(deep)?.hasPrefix("x-edge-route: ") == true)
        let long = "{\"order\": [" + Array(repeating: "\"groq\"", count: 1_000).joined(separator: ",") + "]}"
        #expect(message(long) == "x-edge-route: header is longer than 4096 bytes")
    }

    @Test("errors name their field")
    func errorField() {
        do {
            _ = try RouteControl(header: #"{"sort": 3}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "sort")
            #expect(error.description == error.message)
        }
    }

    @Test("provider id hashes are FNV-1a, stable across runs")
    func hashes() {
        #expect(ProviderIDHash.hash(of: "") == 0xcbf2_9ce4_8422_2325)
        #expect(ProviderIDHash.hash(of: "a") == 0xaf63_dc4c_8601_ec8c)
        #expect(ProviderIDHash.hash(of: "foobar") == 0x8594_4171_f739_67e8)
        #expect(ProviderIDHash.hash(of: "groq"[...]) == ProviderIDHash.hash(of: "groq"))
    }
}
