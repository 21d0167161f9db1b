import EdgeJSON

/// What an OpenAI Responses API `Response` object says, as far as the router needs it (a provider's answer to a
/// request without streaming, and the `response` of its `response.created`/`completed`/`incomplete`/`failed`
/// stream events). Outside input: read with ``JSONScanner``, never trusted (any field may be missing, null, of
/// another type, or huge); output items of a type the router has no neutral meaning for (built-in tool calls)
/// are skipped.
struct ResponseObject: Equatable {
    /// One output item the neutral form can hold.
    enum Item: Equatable {
        /// An assistant message: its `output_text` and `refusal` parts, in order.
        case message(parts: [Part])
        /// A function call, whole.
        case functionCall(callID: String, name: String, arguments: String)
        /// Reasoning, with its summary texts.
        case reasoning(summary: [String])
    }

    /// A part of a message.
    enum Part: Equatable {
        case text(String)
        case refusal(String)
    }

    var id: String?
    var model: String?
    var createdAt: Int?
    /// `completed`, `incomplete`, `failed`, `in_progress`, ….
    var status: String?
    /// `incomplete_details.reason` (`max_output_tokens`, `content_filter`).
    var incompleteReason: String?
    /// `error` of a failed response.
    var error: (code: String?, message: String)?
    var output: [Item] = []
    var usage: TokenUsage?

    static func == (lhs: ResponseObject, rhs: ResponseObject) -> Bool {
        lhs.id == rhs.id && lhs.model == rhs.model && lhs.createdAt == rhs.createdAt && lhs.status == rhs.status
            && lhs.incompleteReason == rhs.incompleteReason && lhs.error?.code == rhs.error?.code
            && lhs.error?.message == rhs.error?.message && lhs.output == rhs.output && lhs.usage == rhs.usage
    }

    /// Reads the object that comes next in `scanner`.
    static func read(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> ResponseObject {
        var object = ResponseObject()
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "id": object.id = try scanner.readNullableString()
            case "model": object.model = try scanner.readNullableString()
            case "created_at": object.createdAt = try ResponsesJSON.readCount(&scanner)
            case "status": object.status = try scanner.readNullableString()
            case "incomplete_details": object.incompleteReason = try ResponsesJSON.readMember(&scanner, "reason")
            case "error": object.error = try ResponsesJSON.readError(&scanner)
            case "output": object.output = try readOutput(&scanner)
            case "usage": object.usage = try ResponsesJSON.readUsage(&scanner)
            default: try scanner.skipValue()
            }
        }
        return object
    }

    private static func readOutput(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> [Item] {
        guard try scanner.peekKind() == .array else {
            try scanner.skipValue()
            return []
        }
        var items: [Item] = []
        try scanner.enterArray()
        while try scanner.nextElement() {
            if let item = try readItem(&scanner) { items.append(item) }
        }
        return items
    }

    /// One output item; nil for a type with no neutral meaning.
    static func readItem(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Item? {
        guard try scanner.peekKind() == .object else {
            try scanner.skipValue()
            return nil
        }
        var type = ""
        var callID = ""
        var name = ""
        var arguments = ""
        var parts: [Part] = []
        var summary: [String] = []
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "type": type = try scanner.readNullableString() ?? ""
            case "call_id": callID = try scanner.readNullableString() ?? ""
            case "name": name = try scanner.readNullableString() ?? ""
            case "arguments": arguments = try scanner.readNullableString() ?? ""
            case "content": parts = try readParts(&scanner)
            case "summary": summary = try readSummary(&scanner)
            default: try scanner.skipValue()
            }
        }
        switch type {
        case "message": return .message(parts: parts)
        case "function_call": return .functionCall(callID: callID, name: name, arguments: arguments)
        case "reasoning": return .reasoning(summary: summary)
        default: return nil
        }
    }

    private static func readParts(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> [Part] {
        guard try scanner.peekKind() == .array else {
            try scanner.skipValue()
            return []
        }
        var parts: [Part] = []
        try scanner.enterArray()
        while try scanner.nextElement() {
            guard try scanner.peekKind() == .object else {
                try scanner.skipValue()
                continue
            }
            var type = ""
            var text = ""
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "type": type = try scanner.readNullableString() ?? ""
                case "text", "refusal":
                    if try scanner.peekKind() == .string { text = try scanner.readString() } else { try scanner.skipValue() }
                default: try scanner.skipValue()
                }
            }
            switch type {
            case "output_text": parts.append(.text(text))
            case "refusal": parts.append(.refusal(text))
            default: break
            }
        }
        return parts
    }

    private static func readSummary(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> [String] {
        guard try scanner.peekKind() == .array else {
            try scanner.skipValue()
            return []
        }
        var texts: [String] = []
        try scanner.enterArray()
        while try scanner.nextElement() {
            if let text = try ResponsesJSON.readMember(&scanner, "text") { texts.append(text) }
        }
        return texts
    }
}
