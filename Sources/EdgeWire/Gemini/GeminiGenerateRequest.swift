import EdgeJSON
import NIOCore

/// A Gemini client's `generateContent` / `streamGenerateContent` request, checked cheaply, with its body kept as
/// sent: Gemini names the model and the streaming in the URL, never in the body, so a Gemini provider is sent the
/// client's bytes unchanged.
public struct GeminiGenerateRequest: Sendable {
    /// The model, from the URL (`/v1beta/models/{model}:generateContent`).
    public let model: String
    /// Whether the client called `:streamGenerateContent`.
    public let stream: Bool
    /// The client's body, byte for byte.
    private let body: ByteBuffer

    /// Checks a request body: a JSON object whose `contents` is a non-empty array of objects, each with a `parts`
    /// array and, if present, a string `role`. Errors name the offending field. `model` and `stream` come from the
    /// URL.
    public static func parse(_ bytes: some Collection<UInt8>, model: String, stream: Bool) throws(WireError) -> GeminiGenerateRequest {
        try GeminiBodyCursor.read(bytes) { (cursor: inout GeminiBodyCursor) throws(WireError) in
            try cursor.enterObject("")
            var contents: JSONScanner?
            while let key = try cursor.nextMember() {
                // Of duplicate keys the last wins, as a protobuf JSON parser reads them.
                if key.matches("contents") { contents = cursor.scanner }
                try cursor.skip()
            }
            guard let contents else {
                throw WireError("Missing required parameter: 'contents'.", param: "contents")
            }
            var walk = GeminiBodyCursor(scanner: contents)
            try checkContents(&walk)
        }
        var body = ByteBufferAllocator().buffer(capacity: bytes.count)
        body.writeBytes(bytes)
        return GeminiGenerateRequest(model: model, stream: stream, body: body)
    }

    private static func checkContents(_ cursor: inout GeminiBodyCursor) throws(WireError) {
        let notArray = WireError("'contents' must be a non-empty array.", param: "contents")
        guard cursor.kind() == .array else { throw notArray }
        try cursor.enterArray("contents")
        var index = 0
        while try cursor.nextElement() {
            try cursor.enterObject("contents[\(index)]")
            var hasParts = false
            while let key = try cursor.nextMember() {
                switch key {
                case "parts":
                    guard cursor.kind() == .array else { throw GeminiBodyCursor.mustBe("an array", "contents[\(index)].parts") }
                    hasParts = true
                    try checkParts(&cursor, content: index)
                case "role":
                    if cursor.skipNull() { continue }
                    _ = try cursor.string("contents[\(index)].role")
                default:
                    try cursor.skip()
                }
            }
            guard hasParts else {
                throw WireError(
                    "Missing required parameter: 'contents[\(index)].parts'.", param: "contents[\(index)].parts")
            }
            index += 1
        }
        guard index > 0 else { throw notArray }
    }

    private static func checkParts(_ cursor: inout GeminiBodyCursor, content: Int) throws(WireError) {
        try cursor.enterArray("contents[\(content)].parts")
        var index = 0
        while try cursor.nextElement() {
            guard cursor.kind() == .object else {
                throw GeminiBodyCursor.mustBe("an object", "contents[\(content)].parts[\(index)]")
            }
            try cursor.skip()
            index += 1
        }
    }

    /// The body to send to a Gemini provider: the client's, unchanged.
    public func upstreamBody() -> ByteBuffer {
        body
    }

    private init(model: String, stream: Bool, body: ByteBuffer) {
        self.model = model
        self.stream = stream
        self.body = body
    }
}
