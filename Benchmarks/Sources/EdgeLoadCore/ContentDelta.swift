import EdgeJSON

/// Tells whether an OpenAI chat-completion chunk carries text: `choices[0].delta.content` is a non-empty string.
///
/// The role-only chunk (`"delta":{"role":"assistant","content":""}`), the finish chunk (`"delta":{}`), the
/// usage chunk (`"choices":[]`) and `"content":null` (as some proxies send) are not content. The check walks the
/// JSON bytes in place with the router's own scanner (`EdgeJSON`), without allocating, because the load generator
/// runs it on every frame of thousands of concurrent streams; it reads only as far as it must and treats anything
/// malformed as "no content".
public enum ContentDelta {
    /// Whether `json` (one SSE `data:` payload) is a chunk with a non-empty `choices[0].delta.content`.
    public static func hasContent(_ json: UnsafeRawBufferPointer) -> Bool {
        var scanner = JSONScanner(json.assumingMemoryBound(to: UInt8.self))
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                if key.matches("choices") {
                    guard try scanner.peekKind() == .array else { return false }
                    try scanner.enterArray()
                    guard try scanner.nextElement() else { return false }
                    return try member("delta", of: &scanner) { (scanner) throws(JSONScanner.Failure) in
                        try member("content", of: &scanner) { (scanner) throws(JSONScanner.Failure) in
                            guard try scanner.peekKind() == .string else { return false }
                            return try !scanner.readStringSpan().isEmpty
                        }
                    }
                }
                try scanner.skipValue()
            }
        } catch {
            return false
        }
        return false
    }

    /// Convenience for tests and callers holding bytes in an array.
    public static func hasContent(_ json: some Collection<UInt8>) -> Bool {
        Array(json).withUnsafeBytes { hasContent($0) }
    }

    /// Whether the value at the scanner is an object with a member `name` for which `test` holds (read at that
    /// member's value); false for any other value.
    private static func member(
        _ name: StaticString, of scanner: inout JSONScanner, _ test: (inout JSONScanner) throws(JSONScanner.Failure) -> Bool
    ) throws(JSONScanner.Failure) -> Bool {
        guard try scanner.peekKind() == .object else { return false }
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if key.matches(name) { return try test(&scanner) }
            try scanner.skipValue()
        }
        return false
    }
}
