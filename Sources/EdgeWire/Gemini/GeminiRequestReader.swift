import EdgeJSON

/// Reads a Gemini `GenerateContentRequest` into a neutral ``ChatRequest``, for a provider of another dialect.
///
/// Fields with no neutral meaning are listed in ``ChatRequest/untranslatable`` by their Gemini path
/// (`cachedContent`, `generationConfig.seed`, `tools[1]` for a `googleSearch` tool, `contents[0].parts[2]` for an
/// `executableCode` part), so that the other dialect's writer refuses the request naming them.
///
/// Two fields are ignored rather than listed: `safetySettings` (other providers have no such knob; their own
/// policies apply) and `labels` (billing metadata for Google Cloud only). A `thoughtSignature` on a part that is
/// not a thought is dropped too: it only means something to Gemini itself.
public enum GeminiRequestReader {
    /// Reads a request body; `model` and `stream` come from the URL. Errors name the field at fault.
    public static func read(_ bytes: some Collection<UInt8>, model: String, stream: Bool) throws(WireError) -> ChatRequest {
        try GeminiBodyCursor.read(bytes) { (cursor: inout GeminiBodyCursor) throws(WireError) in
            var state = State(request: ChatRequest(model: model, stream: stream))
            try cursor.enterObject("")
            var sawContents = false
            while let key = try cursor.nextMember() {
                if cursor.skipNull() { continue }
                switch key {
                case "contents":
                    sawContents = true
                    try state.readContents(&cursor)
                case "systemInstruction": try state.readSystem(&cursor)
                case "tools": try state.readTools(&cursor)
                case "toolConfig": try state.readToolConfig(&cursor)
                case "generationConfig": try state.readGenerationConfig(&cursor)
                case "safetySettings", "labels": try cursor.skip()
                default:
                    state.request.untranslatable.append(key.string)
                    try cursor.skip()
                }
            }
            guard sawContents, !state.request.messages.isEmpty else {
                throw WireError("'contents' must be a non-empty array.", param: "contents")
            }
            return state.request
        }
    }

    /// What the walk has built so far.
    struct State {
        var request: ChatRequest
        /// Function calls made so far in the request, for synthesized ids (`call_<n>`).
        var callCount = 0
        /// Calls not yet answered, oldest first: a `functionResponse` without an id answers the earliest one of
        /// the same name.
        var unanswered: [(id: String, name: String)] = []

        mutating func untranslatable(_ path: String) {
            request.untranslatable.append(path)
        }

        /// `systemInstruction`: a `Content` whose text parts are the system prompt's pieces.
        mutating func readSystem(_ cursor: inout GeminiBodyCursor) throws(WireError) {
            try cursor.enterObject("systemInstruction")
            while let key = try cursor.nextMember() {
                guard key.matches("parts"), !cursor.skipNull() else {
                    try cursor.skip()
                    continue
                }
                try cursor.enterArray("systemInstruction.parts")
                var index = 0
                while try cursor.nextElement() {
                    let path = "systemInstruction.parts[\(index)]"
                    try cursor.enterObject(path)
                    var text: String?
                    var other = false
                    while let member = try cursor.nextMember() {
                        if cursor.skipNull() { continue }
                        if member.matches("text") {
                            text = try cursor.string("\(path).text")
                        } else {
                            other = true
                            try cursor.skip()
                        }
                    }
                    if let text, !other { request.system.append(text) } else { untranslatable(path) }
                    index += 1
                }
            }
        }
    }
}
