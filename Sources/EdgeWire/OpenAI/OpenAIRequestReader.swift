import EdgeJSON

/// Reads a whole OpenAI chat-completion request into the neutral ``ChatRequest``, for a deployment of another
/// dialect. (A request for an OpenAI deployment never comes here: ``OpenAIChatRequest`` passes it on byte for byte.)
///
/// `system` and `developer` messages, wherever they are, become the system prompt, in order. `tool` messages
/// become tool results in a user turn (consecutive ones in one turn, as Anthropic wants them). Fields that only
/// tune the provider's bookkeeping (`user`, `metadata`, `store`, `service_tier`, `prompt_cache_key`,
/// `safety_identifier`, `stream_options`) and tool schemas' `strict` are not carried: another dialect has no place
/// for them, and they do not change the answer. Every other field without a neutral meaning (`seed`, `logprobs`,
/// penalties, audio...) is listed as untranslatable.
public enum OpenAIRequestReader {
    /// Reads `bytes`; errors name the field.
    public static func read(_ bytes: some Collection<UInt8>) throws(WireError) -> ChatRequest {
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in Result { () throws(WireError) in try read(buffer: buffer) } }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in Result { () throws(WireError) in try read(buffer: buffer) } }
        return try result.get()
    }

    /// Hints another dialect has no place for, which do not change the answer.
    static let ignoredFields: Set<String> = [
        "user", "metadata", "store", "service_tier", "prompt_cache_key", "safety_identifier", "stream_options",
    ]

    private static func read(buffer: UnsafeBufferPointer<UInt8>) throws(WireError) -> ChatRequest {
        // The cheap check first: it validates the JSON and the routing fields, with the router's usual messages.
        let checked = try OpenAIChatRequest.parse(buffer)
        var request = ChatRequest(model: checked.model, stream: checked.stream)
        var scanner = JSONScanner(buffer)
        var path = "request"
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                let name = key.string
                path = name
                if try scanner.consumeNull() { continue }
                switch name {
                case "model", "stream": try scanner.skipValue()
                case "messages": try readMessages(&scanner, into: &request)
                case "max_tokens", "max_completion_tokens": request.maxTokens = try positive(&scanner, name)
                case "temperature": request.temperature = JSONNumber(Array(buffer[try scanner.readNumberSpan()]))
                case "top_p": request.topP = JSONNumber(Array(buffer[try scanner.readNumberSpan()]))
                case "n": request.choiceCount = try positive(&scanner, name)
                case "stop":
                    if try scanner.peekKind() == .string {
                        request.stopSequences = [try scanner.readString()]
                    } else {
                        request.stopSequences = try strings(&scanner)
                    }
                case "tools": request.tools = try readTools(&scanner)
                case "tool_choice": request.toolChoice = try readToolChoice(&scanner)
                case "parallel_tool_calls": request.parallelToolCalls = try scanner.readBool()
                case "response_format": request.responseFormat = try readResponseFormat(&scanner)
                case "reasoning_effort": request.reasoning = ReasoningRequest(effort: try scanner.readString())
                default:
                    try scanner.skipValue()
                    if !ignoredFields.contains(name) { request.untranslatable.append(name) }
                }
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError("'\(path)' has the wrong type.", param: path)
        }
        return request
    }

    private static func positive(_ scanner: inout JSONScanner, _ name: String) throws -> Int {
        let value = try scanner.readInt()
        guard value >= 1 else { throw WireError("'\(name)' must be at least 1.", param: name) }
        return value
    }

    static func strings(_ scanner: inout JSONScanner) throws -> [String] {
        var values: [String] = []
        try scanner.enterArray()
        while try scanner.nextElement() { values.append(try scanner.readString()) }
        return values
    }

    // MARK: Messages

    private static func readMessages(_ scanner: inout JSONScanner, into request: inout ChatRequest) throws {
        try scanner.enterArray()
        var index = 0
        /// Tool names by call id, for tool results (OpenAI's `tool` messages name only the call).
        var toolNames: [String: String] = [:]
        while try scanner.nextElement() {
            let path = "messages[\(index)]"
            try scanner.enterObject()
            var role = ""
            var content: JSONScanner.Mark?
            var toolCalls: JSONScanner.Mark?
            var toolCallID: String?
            var reasoning: String?
            while let key = try scanner.nextMember() {
                switch key {
                case "role": role = try scanner.readString()
                case "content": content = try scanner.consumeNull() ? nil : scanner.markValue()
                case "tool_calls": toolCalls = try scanner.markNullableArray()
                case "tool_call_id": toolCallID = try scanner.readNullableString()
                case "reasoning_content": reasoning = try scanner.readNullableString()
                case "name", "refusal", "annotations", "audio": try scanner.skipValue()
                default:
                    request.untranslatable.append("\(path).\(key.string)")
                    try scanner.skipValue()
                }
            }
            var parts: [ChatPart] = []
            switch role {
            case "system", "developer":
                if let content {
                    var text = scanner.resumed(at: content)
                    request.system.append(contentsOf: try readContent(&text, path: "\(path).content", untranslatable: &request.untranslatable).compactMap {
                        if case .text(let text) = $0 { return text }
                        request.untranslatable.append("\(path).content")
                        return nil
                    })
                }
            case "user", "assistant":
                if let reasoning, !reasoning.isEmpty { parts.append(.thinking(text: reasoning, signature: nil)) }
                if let content {
                    var text = scanner.resumed(at: content)
                    parts += try readContent(&text, path: "\(path).content", untranslatable: &request.untranslatable)
                }
                if role == "assistant", let toolCalls {
                    var calls = scanner.resumed(at: toolCalls)
                    for part in try readToolCalls(&calls, path: "\(path).tool_calls") {
                        if case .toolCall(let id, let name, _) = part { toolNames[id] = name }
                        parts.append(part)
                    }
                }
                request.messages.append(ChatMessage(role: role == "user" ? .user : .assistant, parts: parts))
            case "tool":
                guard let toolCallID else {
                    throw WireError("Missing required parameter: '\(path).tool_call_id'.", param: "\(path).tool_call_id")
                }
                var result: [ChatPart] = []
                if let content {
                    var text = scanner.resumed(at: content)
                    result = try readContent(&text, path: "\(path).content", untranslatable: &request.untranslatable)
                }
                let part = ChatPart.toolResult(id: toolCallID, name: toolNames[toolCallID] ?? "", content: result, isError: false)
                // Consecutive tool results answer one assistant turn: one user turn holds them all.
                if let last = request.messages.indices.last, request.messages[last].role == .user,
                    request.messages[last].parts.allSatisfy({ if case .toolResult = $0 { true } else { false } }),
                    !request.messages[last].parts.isEmpty
                {
                    request.messages[last].parts.append(part)
                } else {
                    request.messages.append(ChatMessage(role: .user, parts: [part]))
                }
            default:
                request.untranslatable.append("\(path).role")
            }
            index += 1
        }
    }

    /// A message's `content`: a string, or an array of parts.
    private static func readContent(
        _ scanner: inout JSONScanner, path: String, untranslatable: inout [String]
    ) throws -> [ChatPart] {
        if try scanner.peekKind() == .string {
            let text = try scanner.readString()
            return text.isEmpty ? [] : [.text(text)]
        }
        var parts: [ChatPart] = []
        try scanner.enterArray()
        var index = 0
        while try scanner.nextElement() {
            let partPath = "\(path)[\(index)]"
            try scanner.enterObject()
            var type = ""
            var text: String?
            var imageURL: String?
            while let key = try scanner.nextMember() {
                switch key {
                case "type": type = try scanner.readString()
                case "text", "refusal": text = try scanner.readString()
                case "image_url":
                    if try scanner.peekKind() == .string {
                        imageURL = try scanner.readString()
                    } else {
                        try scanner.enterObject()
                        while let key = try scanner.nextMember() {
                            if key.matches("url") { imageURL = try scanner.readString() } else { try scanner.skipValue() }
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            switch type {
            case "text", "refusal":
                guard let text else { throw WireError("Missing required parameter: '\(partPath).text'.", param: "\(partPath).text") }
                parts.append(.text(text))
            case "image_url":
                guard let imageURL else {
                    throw WireError("Missing required parameter: '\(partPath).image_url.url'.", param: "\(partPath).image_url.url")
                }
                parts.append(.image(ImageSource(url: imageURL)))
            default:
                untranslatable.append(partPath)
            }
            index += 1
        }
        return parts
    }

    private static func readToolCalls(_ scanner: inout JSONScanner, path: String) throws -> [ChatPart] {
        var calls: [ChatPart] = []
        try scanner.enterArray()
        var index = 0
        while try scanner.nextElement() {
            try scanner.enterObject()
            var id = ""
            var name = ""
            var arguments = ""
            while let key = try scanner.nextMember() {
                switch key {
                case "id": id = try scanner.readString()
                case "function":
                    try scanner.enterObject()
                    while let key = try scanner.nextMember() {
                        switch key {
                        case "name": name = try scanner.readString()
                        case "arguments": arguments = try scanner.readString()
                        default: try scanner.skipValue()
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            guard !name.isEmpty else {
                throw WireError("Missing required parameter: '\(path)[\(index)].function.name'.", param: "\(path)[\(index)].function.name")
            }
            calls.append(.toolCall(id: id, name: name, arguments: arguments))
            index += 1
        }
        return calls
    }

    // MARK: Tools and formats

    private static func readTools(_ scanner: inout JSONScanner) throws -> [ToolDefinition] {
        var tools: [ToolDefinition] = []
        try scanner.enterArray()
        var index = 0
        while try scanner.nextElement() {
            try scanner.enterObject()
            var type = "function"
            var tool: ToolDefinition?
            while let key = try scanner.nextMember() {
                switch key {
                case "type": type = try scanner.readString()
                case "function":
                    var definition = ToolDefinition(name: "")
                    try scanner.enterObject()
                    while let key = try scanner.nextMember() {
                        switch key {
                        case "name": definition.name = try scanner.readString()
                        case "description": definition.description = try scanner.readNullableString()
                        case "parameters": definition.parameters = try scanner.consumeNull() ? nil : RawJSON(try scanner.readRawValue())
                        default: try scanner.skipValue()
                        }
                    }
                    tool = definition
                default: try scanner.skipValue()
                }
            }
            guard type == "function" else {
                throw WireError("'tools[\(index)]' is a '\(EchoedText.short(type))' tool: only function tools can go to this model's provider.", param: "tools[\(index)]")
            }
            guard let tool, !tool.name.isEmpty else {
                throw WireError("Missing required parameter: 'tools[\(index)].function.name'.", param: "tools[\(index)].function.name")
            }
            tools.append(tool)
            index += 1
        }
        return tools
    }

    private static func readToolChoice(_ scanner: inout JSONScanner) throws -> ToolChoice {
        if try scanner.peekKind() == .string {
            switch try scanner.readString() {
            case "auto": return .auto
            case "none": return .none
            case "required": return .required
            default: throw WireError("'tool_choice' must be 'auto', 'none', 'required' or a function.", param: "tool_choice")
            }
        }
        var name: String?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            guard key.matches("function") else {
                try scanner.skipValue()
                continue
            }
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                if key.matches("name") { name = try scanner.readString() } else { try scanner.skipValue() }
            }
        }
        guard let name else { throw WireError("Missing required parameter: 'tool_choice.function.name'.", param: "tool_choice.function.name") }
        return .tool(name: name)
    }

    private static func readResponseFormat(_ scanner: inout JSONScanner) throws -> ResponseFormat {
        var type = ""
        var name = "response"
        var schema: RawJSON?
        var strict: Bool?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "type": type = try scanner.readString()
            case "json_schema":
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    switch key {
                    case "name": name = try scanner.readString()
                    case "schema": schema = RawJSON(try scanner.readRawValue())
                    case "strict": strict = try scanner.consumeNull() ? nil : try scanner.readBool()
                    default: try scanner.skipValue()
                    }
                }
            default: try scanner.skipValue()
            }
        }
        switch type {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            guard let schema else {
                throw WireError("Missing required parameter: 'response_format.json_schema.schema'.", param: "response_format.json_schema.schema")
            }
            return .jsonSchema(name: name, schema: schema, strict: strict)
        default:
            throw WireError("'response_format.type' must be 'text', 'json_object' or 'json_schema'.", param: "response_format.type")
        }
    }
}

extension JSONScanner {
    /// Marks the value that comes next, whatever it is, and skips it.
    mutating func markValue() throws(Failure) -> Mark {
        let mark = mark()
        try skipValue()
        return mark
    }
}

extension ImageSource {
    /// An image URL as OpenAI takes it: a `data:` URL's base64 bytes are read out, any other URL is kept.
    public init(url: String) {
        if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","),
            url[..<comma].hasSuffix(";base64")
        {
            let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
            self = .base64(mediaType: String(header.dropLast(7)), data: String(url[url.index(after: comma)...]))
        } else {
            self = .url(url)
        }
    }

    /// The image as an OpenAI `image_url.url`: base64 bytes as a `data:` URL.
    public var openAIURL: String {
        switch self {
        case .base64(let mediaType, let data): "data:\(mediaType);base64,\(data)"
        case .url(let url): url
        }
    }
}

/// Client text quoted in an error message: short, so a message never carries a large or hostile value.
enum EchoedText {
    static func short(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }
}
