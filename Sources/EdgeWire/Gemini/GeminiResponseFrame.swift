import EdgeJSON

/// Reads one Gemini `GenerateContentResponse` (a whole answer, or one frame of a stream) straight from its bytes:
/// the fields the router acts on, type-checked as the API documents them. `null` counts as absent and unknown
/// fields are ignored whatever they hold; a known field of the wrong type makes the frame malformed.
public struct GeminiResponseFrame: Sendable, Equatable {
    /// One part of a candidate's content that has a neutral meaning.
    public enum Part: Sendable, Equatable {
        case text(String)
        /// A thought summary (`thought: true`), with its signature when it has one.
        case thought(String, signature: String?)
        /// A function call, whole; `arguments` is the `args` object's JSON text (`{}` when absent).
        case functionCall(id: String?, name: String, arguments: String)
    }

    /// One candidate (Gemini's word for an OpenAI choice).
    public struct Candidate: Sendable, Equatable {
        /// The candidate's index; Gemini omits it when it is 0.
        public var index = 0
        public var parts: [Part] = []
        /// Gemini's `finishReason` (`STOP`, `MAX_TOKENS`, ...), when the candidate is complete.
        public var finishReason: String?
    }

    public var candidates: [Candidate] = []
    /// `usageMetadata`, in neutral terms (completion = candidates + thoughts).
    public var usage: TokenUsage?
    public var modelVersion: String?
    public var responseID: String?
    /// `promptFeedback.blockReason`: the prompt was refused and no candidate comes.
    public var blockReason: String?
    /// An `{"error": {...}}` body: its message and status.
    public var error: (message: String, status: String?)?

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.candidates == rhs.candidates && lhs.usage == rhs.usage && lhs.modelVersion == rhs.modelVersion
            && lhs.responseID == rhs.responseID && lhs.blockReason == rhs.blockReason
            && lhs.error?.message == rhs.error?.message && lhs.error?.status == rhs.error?.status
    }

    /// Reads one response object. `identity` asks for `modelVersion` and `responseId`: a stream needs them from its
    /// first frame only, and skipping them in the others spares two strings per frame.
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>, identity: Bool = true) throws(JSONScanner.Failure) -> GeminiResponseFrame {
        var scanner = JSONScanner(bytes)
        var frame = GeminiResponseFrame()
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if try scanner.consumeNull() { continue }
            switch key {
            case "candidates":
                try scanner.enterArray()
                while try scanner.nextElement() { frame.candidates.append(try readCandidate(&scanner)) }
            case "usageMetadata": frame.usage = try readUsage(&scanner)
            case "modelVersion" where identity: frame.modelVersion = try scanner.readString()
            case "responseId" where identity: frame.responseID = try scanner.readString()
            case "promptFeedback":
                try scanner.enterObject()
                while let member = try scanner.nextMember() {
                    if member.matches("blockReason") { frame.blockReason = try scanner.readNullableString() } else { try scanner.skipValue() }
                }
            case "error": frame.error = try readError(&scanner)
            default: try scanner.skipValue()
            }
        }
        try scanner.finish()
        return frame
    }

    private static func readCandidate(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Candidate {
        var candidate = Candidate()
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if try scanner.consumeNull() { continue }
            switch key {
            case "index": candidate.index = try scanner.readInt()
            case "finishReason": candidate.finishReason = try scanner.readString()
            case "content":
                try scanner.enterObject()
                while let member = try scanner.nextMember() {
                    if member.matches("parts"), !(try scanner.consumeNull()) {
                        try scanner.enterArray()
                        while try scanner.nextElement() {
                            if let part = try readPart(&scanner) { candidate.parts.append(part) }
                        }
                    } else {
                        try scanner.skipValue()
                    }
                }
            default: try scanner.skipValue()
            }
        }
        // `FINISH_REASON_UNSPECIFIED` is protobuf's zero value: the candidate has not finished.
        if candidate.finishReason == "FINISH_REASON_UNSPECIFIED" { candidate.finishReason = nil }
        return candidate
    }

    /// A part with a neutral meaning, or nil (empty text, code execution, inline media the model produced).
    private static func readPart(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Part? {
        var text: String?
        var thought = false
        var signature: String?
        var call: Part?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if try scanner.consumeNull() { continue }
            switch key {
            case "text": text = try scanner.readString()
            case "thought": thought = try scanner.readBool()
            case "thoughtSignature": signature = try scanner.readString()
            case "functionCall": call = try readCall(&scanner)
            default: try scanner.skipValue()
            }
        }
        if let call { return call }
        guard let text else { return nil }
        if thought { return text.isEmpty && signature == nil ? nil : .thought(text, signature: signature) }
        return text.isEmpty ? nil : .text(text)
    }

    private static func readCall(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Part {
        var id: String?
        var name = ""
        var arguments = "{}"
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if try scanner.consumeNull() { continue }
            switch key {
            case "id": id = try scanner.readString()
            case "name": name = try scanner.readString()
            case "args":
                guard try scanner.peekKind() == .object else { throw scanner.mismatch("an object") }
                let start = scanner.mark().offset
                try scanner.skipValue()
                arguments = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[start..<scanner.offset]), as: UTF8.self)
            default: try scanner.skipValue()
            }
        }
        return .functionCall(id: id, name: name, arguments: arguments)
    }

    private static func readUsage(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> TokenUsage {
        var prompt = 0
        var candidates = 0
        var cached = 0
        var thoughts = 0
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "promptTokenCount": prompt = try scanner.readNullableInt() ?? 0
            case "candidatesTokenCount": candidates = try scanner.readNullableInt() ?? 0
            case "cachedContentTokenCount": cached = try scanner.readNullableInt() ?? 0
            case "thoughtsTokenCount": thoughts = try scanner.readNullableInt() ?? 0
            default: try scanner.skipValue()
            }
        }
        // The counts are the provider's word: a sum that does not fit saturates rather than trapping.
        let (completion, overflow) = candidates.addingReportingOverflow(thoughts)
        return TokenUsage(
            promptTokens: prompt, completionTokens: overflow ? .max : completion, cacheReadTokens: cached,
            reasoningTokens: thoughts)
    }

    private static func readError(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> (message: String, status: String?) {
        var message: String?
        var status: String?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "message": message = try scanner.readNullableString()
            case "status": status = try scanner.readNullableString()
            default: try scanner.skipValue()
            }
        }
        return (message ?? "the provider reported an error", status)
    }
}
