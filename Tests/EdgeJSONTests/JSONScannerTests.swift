@testable import EdgeJSON
import Foundation
import Testing

@Suite("JSON scanner", .timeLimit(.minutes(5)))
struct JSONScannerTests {
    static func accepts(_ text: String) -> Bool { ScannedValue.validates(Array(text.utf8)) }

    /// The scanner's failure in `walk`, or nil if it went through.
    static func failure(_ text: String, _ walk: (inout JSONScanner) throws -> Void) -> JSONScanner.Failure? {
        Array(text.utf8).withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            do {
                try walk(&scanner)
                return nil
            } catch let error as JSONScanner.Failure {
                return error
            } catch {
                Issue.record("unexpected error \(error)")
                return nil
            }
        }
    }

    @Test(
        "valid documents",
        arguments: [
            "{}", "[]", " \t\r\n{ } ", #"{"a":1}"#, #"[1,-2,3.5,-0.0e+10,1E-3,0]"#, #"{"a":{"b":[{"c":null}]}}"#,
            #""plain""#, "0", "-0", "true", "false", "null", #"{"":""}"#, #"["\u0000"]"#, #"["\ud83d\ude00"]"#,
            #"["\uD83D\uDE00"]"#, #"["\"\\\/\b\f\n\r\t"]"#, "[\"é中😀\u{7F}\"]", #"{"a":1,"a":2}"#,
            "123456789012345678901234567890", "1e400", "\u{FEFF}{}",
        ])
    func valid(_ text: String) {
        #expect(Self.accepts(text), "\(text)")
    }

    @Test(
        "invalid documents",
        arguments: [
            "", " ", "{", "}", "[", "]", "{]", "[}", #"{"a"}"#, #"{"a":}"#, #"{"a" 1}"#, #"{a:1}"#, "{'a':1}",
            #"{"a":1,}"#, "[1,]", "[,1]", "[1 2]", "{,}", #"{"a":1"b":2}"#, "[01]", "[1.]", "[.5]", "[-]", "[+1]",
            "[1e]", "[1e+]", "[--1]", "[0x10]", "[NaN]", "[Infinity]", "[tru]", "[True]", "[nul]", "[nulll]",
            #"["\x"]"#, #"["\U0041"]"#, #"["\u004"]"#, #"["\u00zz"]"#, #"["\ud800"]"#, #"["\udc00"]"#,
            #"["\ud800\u0041"]"#, #"["\ud800x"]"#, "[\"a\tb\"]", "[\"a\nb\"]", "[\"\u{0}\"]", #"["abc"#, #"["abc\"#,
            "{} x", "{}{}", "[1]]", "\u{0B}[]", "\u{A0}[]", "[\"a\"\"b\"]", "{\"a\":1,,\"b\":2}",
        ])
    func invalid(_ text: String) {
        #expect(!Self.accepts(text), "\(text)")
        #expect(throws: JSONScanner.Failure.self) { try ScannedValue.read(Array(text.utf8)) }
    }

    @Test("invalid UTF-8 inside strings is rejected: stray continuations, overlong forms, surrogates, past U+10FFFF")
    func invalidUTF8() {
        let bad: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xC3], [0xC3, 0x28], [0xE0, 0x80, 0xAF], [0xE0, 0xA0],
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0xAF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        ]
        for sequence in bad {
            let document = Array(#"["abcdefgh"#.utf8) + sequence + Array(#"ijklmnop"]"#.utf8)
            #expect(!ScannedValue.validates(document), "\(sequence)")
            #expect(foundationParse(document) == nil, "Foundation agrees on \(sequence)")
        }
        let good: [[UInt8]] = [[0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]]
        for sequence in good {
            #expect(ScannedValue.validates(Array(#"[""#.utf8) + sequence + Array(#""]"#.utf8)), "\(sequence)")
        }
    }

    @Test("strings decode escapes, surrogate pairs and raw UTF-8 exactly")
    func stringDecoding() throws {
        let cases: [(String, String)] = [
            (#""plain ASCII, long enough for the eight-byte path""#, "plain ASCII, long enough for the eight-byte path"),
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
            (#""\u0041\u00e9\u4E2D\u0000""#, "Aé中\u{0}"),
            (#""\ud83d\ude00 and \uD834\uDD1E""#, "😀 and 𝄞"),
            ("\"é中😀\u{10FFFF}\"", "é中😀\u{10FFFF}"),
            (#""e\u0301""#, "e\u{301}"),
            (#""12345678\"12345678""#, "12345678\"12345678"),
        ]
        for (literal, expected) in cases {
            guard case .string(let decoded) = try ScannedValue.read(Array(literal.utf8)) else {
                Issue.record("not a string: \(literal)")
                continue
            }
            #expect(Array(decoded.utf8) == Array(expected.utf8), "\(literal)")
        }
    }

    @Test("keys match decoded, escaped or not; a key is never mistaken for a longer or shorter one")
    func keys() throws {
        let text = #"{"content":1,"con\u0074ent":2,"conten":3,"contents":4,"":5}"#
        var matched: [Bool] = []
        try Array(text.utf8).withUnsafeBufferPointer { buffer throws in
            var scanner = JSONScanner(buffer)
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                matched.append(key.matches("content"))
                switch key {
                case "": #expect(key.string.isEmpty)
                default: break
                }
                try scanner.skipValue()
            }
            try scanner.finish()
        }
        #expect(matched == [true, true, false, false, false])
    }

    @Test("integers: as JSONDecoder reads Int (whole numbers with a fraction or exponent too), else a type mismatch")
    func integers() {
        let values: [(String, Int?)] = [
            ("0", 0), ("-0", 0), ("42", 42), ("-17", -17), ("9223372036854775807", .max), ("-9223372036854775808", .min),
            ("9223372036854775808", nil), ("-9223372036854775809", nil), ("1.0", 1), ("1e3", 1000), ("2.5E+1", 25),
            ("1.5", nil), ("1e20", nil), ("1e400", nil),
        ]
        for (text, expected) in values {
            var read: Int?
            let failure = Self.failure(text) { scanner throws in read = try scanner.readInt() }
            if let expected {
                #expect(read == expected, "\(text)")
            } else {
                #expect(failure?.code == .typeMismatch, "\(text)")
            }
        }
    }

    @Test("a value of another kind is a type mismatch, not a syntax error; null reads as nil where allowed")
    func typeMismatches() {
        #expect(Self.failure(#""x""#) { s throws in _ = try s.readInt() }?.code == .typeMismatch)
        #expect(Self.failure("1") { s throws in _ = try s.readString() }?.code == .typeMismatch)
        #expect(Self.failure("[]") { s throws in try s.enterObject() }?.code == .typeMismatch)
        #expect(Self.failure("null") { s throws in try s.enterArray() }?.code == .typeMismatch)
        #expect(Self.failure("1") { s throws in _ = try s.readBool() }?.code == .typeMismatch)
        #expect(Self.failure("{}") { s throws in _ = try s.markNullableArray() }?.code == .typeMismatch)
        #expect(Self.failure("?") { s throws in _ = try s.readString() }?.code == .syntax)
        var nullString: String? = "unset"
        var nullInt: Int? = 0
        var nullMark: JSONScanner.Mark? = JSONScanner.Mark(offset: -1, depth: 0)
        #expect(Self.failure("null") { s throws in nullString = try s.readNullableString() } == nil)
        #expect(Self.failure("null") { s throws in nullInt = try s.readNullableInt() } == nil)
        #expect(Self.failure("null") { s throws in nullMark = try s.markNullableObject() } == nil)
        #expect(nullString == nil && nullInt == nil && nullMark == nil)
    }

    @Test("errors say where and what was expected")
    func errorPositions() {
        let failure = Self.failure(#"{"a":1 "b":2}"#) { s throws in try s.skipValue() }
        #expect(failure == JSONScanner.Failure(.syntax, at: 7, expected: "',' or '}'"))
        #expect(Self.failure(#"["ab"#) { s throws in try s.skipValue() }?.offset == 4)
        #expect(Self.failure("[\"a\u{1}\"]") { s throws in try s.skipValue() }?.expected == "an escaped control character")
        // A short \u escape: at the first byte that is not a hex digit, or the end.
        #expect(Self.failure(#"["\u12"]"#) { s throws in try s.skipValue() } == JSONScanner.Failure(.syntax, at: 6, expected: "four hex digits"))
        #expect(Self.failure(#"["\u12"#) { s throws in try s.skipValue() }?.offset == 6)
        #expect(Self.failure(#"["\ud83d\uDE0x"]"#) { s throws in try s.skipValue() }?.offset == 13)
    }

    @Test("a key can be judged before its ':' is read")
    func keyThenColon() throws {
        var keys: [String] = []
        #expect(
            Self.failure(#"{"a": 1, "b" 2}"#) { s throws in
                try s.enterObject()
                while let key = try s.nextKey() {
                    keys.append(key.string)
                    try s.readColon()
                    try s.skipValue()
                }
            } == JSONScanner.Failure(.syntax, at: 13, expected: "':'"))
        #expect(keys == ["a", "b"])
        // Read key by key, a document walks as with nextMember.
        #expect(
            Self.failure(#" { "a" : [1] , "b":{} } "#) { s throws in
                try s.enterObject()
                while try s.nextKey() != nil {
                    try s.readColon()
                    try s.skipValue()
                }
                try s.finish()
            } == nil)
    }

    @Test("nesting: Foundation's limit of 512 arrays and objects, skipped without recursion")
    func depth() {
        for depth in [1, 63, 64, 65, 200, 511, 512, 513, 2000] {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let mixed = String(repeating: #"{"a":["#, count: depth / 2) + "1" + String(repeating: "]}", count: depth / 2)
            #expect(Self.accepts(arrays) == (depth <= 512), "arrays \(depth)")
            #expect(Self.accepts(mixed) == (depth / 2 * 2 <= 512), "mixed \(depth)")
            #expect((foundationParse(Array(arrays.utf8)) != nil) == (depth <= 512), "Foundation agrees at \(depth)")
        }
        // The limit counts containers the caller entered too.
        let nested = "[" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "]"
        let tooDeep = "[" + String(repeating: "[", count: 512) + String(repeating: "]", count: 512) + "]"
        #expect(Self.failure(nested) { s throws in try s.enterArray(); try s.skipValue() } == nil)
        #expect(Self.failure(tooDeep) { s throws in try s.enterArray(); try s.skipValue() }?.code == .tooDeep)
        // Unbalanced input deeper than the limit fails fast rather than recursing.
        #expect(!Self.accepts(String(repeating: "[", count: 100_000)))
        #expect(!Self.accepts(String(repeating: #"{"a":"#, count: 100_000)))
    }

    @Test("every prefix of a valid document is rejected, and no byte anywhere crashes the scanner")
    func truncationsAndBytes() {
        let document = Array(
            #"{"id":"c1","choices":[{"index":0,"delta":{"content":"h\u00e9\ud83d\ude00 \"q\"","tool_calls":[{"function":{"arguments":"{\"a\":[1,2.5e3,true,null]}"}}]}}],"usage":{"prompt_tokens":3}}"#
                .utf8)
        #expect(ScannedValue.validates(document))
        for end in 0..<document.count {
            #expect(!ScannedValue.validates(Array(document[..<end])), "prefix of \(end) bytes")
        }
        for position in document.indices {
            for byte in UInt8.min...UInt8.max {
                var damaged = document
                damaged[position] = byte
                _ = ScannedValue.validates(damaged)
                _ = try? ScannedValue.read(damaged)
            }
        }
    }

    @Test("a resumed scanner reads a value marked in an earlier walk")
    func marks() throws {
        let text = #"{"skip":[1,2],"later":{"x":"y"},"after":true}"#
        try Array(text.utf8).withUnsafeBufferPointer { buffer throws in
            var scanner = JSONScanner(buffer)
            try scanner.enterObject()
            var mark: JSONScanner.Mark?
            while let key = try scanner.nextMember() {
                if key.matches("later") { mark = try scanner.markNullableObject() } else { try scanner.skipValue() }
            }
            try scanner.finish()
            var resumed = scanner.resumed(at: try #require(mark))
            try resumed.enterObject()
            let key = try #require(try resumed.nextMember())
            #expect(key.string == "x")
            #expect(try resumed.readString() == "y")
            #expect(try resumed.nextMember() == nil)
            #expect(resumed.depth == 1)
        }
    }
}
