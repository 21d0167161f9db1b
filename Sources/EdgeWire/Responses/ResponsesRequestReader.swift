import EdgeJSON

/// Reads an OpenAI Responses API request body into a ``ResponsesRequest``.
///
/// Carried: `model`, `input` (a string, or items: messages with `input_text`/`output_text`/`input_image` parts,
/// `function_call` and `function_call_output` items), `instructions`, function `tools`, `tool_choice`,
/// `parallel_tool_calls`, `max_output_tokens`, `temperature`, `top_p`, `reasoning.effort`, `text.format`, `store`,
/// `previous_response_id`, `stream`. Hints that do not change the answer (`metadata`, `user`, `include`,
/// `truncation`, `service_tier`, `prompt_cache_key`, `safety_identifier`, `stream_options`, `reasoning.summary`) are
/// accepted. Reasoning items in the input are accepted and not sent on (no other dialect takes OpenAI's reasoning
/// back). Everything else (built-in tools such as `web_search`, `background`, `conversation`, `prompt`, file
/// inputs, item references, …) is refused with a ``WireError`` naming the field: no provider behind the router
/// can carry it.
public enum ResponsesRequestReader {
    /// Reads `bytes`; errors name the field.
    public static func read(_ bytes: some Collection<UInt8>) throws(WireError) -> ResponsesRequest {
        let result =
            bytes.withContiguousStorageIfAvailable { buffer in Result { () throws(WireError) in try read(buffer: buffer) } }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in Result { () throws(WireError) in try read(buffer: buffer) } }
        return try result.get()
    }

    /// Accepted, not sent on: they do not change the answer.
    static let ignoredFields: Set<String> = [
        "user", "include", "truncation", "service_tier", "prompt_cache_key", "safety_identifier", "stream_options",
        "prompt_cache_retention",
    ]

    private static func read(buffer: UnsafeBufferPointer<UInt8>) throws(WireError) -> ResponsesRequest {
        var check = JSONScanner(buffer)
        do {
            guard try check.peekKind() == .object else { throw WireError("The request body must be a JSON object.") }
            try check.skipValue()
            try check.finish()
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError("The request body is not valid JSON.")
        }
        var request = ResponsesRequest(chat: ChatRequest(model: ""))
        var hasModel = false
        var hasInput = false
        var scanner = JSONScanner(buffer)
        var path = "request"
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                let name = key.string
                path = name
                if try scanner.consumeNull() { continue }
                switch name {
                case "model":
                    request.chat.model = try scanner.readString()
                    hasModel = !request.chat.model.isEmpty
                case "stream": request.chat.stream = try scanner.readBool()
                case "input":
                    hasInput = true
                    request.chat.messages = try readInput(&scanner, system: &request.chat.system)
                case "instructions":
                    let text = try scanner.readString()
                    request.echo.instructions = text
                    if !text.isEmpty { request.chat.system.insert(text, at: 0) }
                case "max_output_tokens":
                    let value = try scanner.readInt()
                    guard value >= 1 else { throw WireError("'max_output_tokens' must be at least 1.", param: name) }
                    request.chat.maxTokens = value
                    request.echo.maxOutputTokens = value
                case "temperature":
                    request.chat.temperature = JSONNumber(Array(buffer[try scanner.readNumberSpan()]))
                    request.echo.temperature = request.chat.temperature
                case "top_p":
                    request.chat.topP = JSONNumber(Array(buffer[try scanner.readNumberSpan()]))
                    request.echo.topP = request.chat.topP
                case "tools":
                    let mark = scanner.mark()
                    request.chat.tools = try readTools(&scanner)
                    request.echo.tools = RawJSON(Array(buffer[mark.offset..<scanner.offset]))
                case "tool_choice":
                    let mark = scanner.mark()
                    request.chat.toolChoice = try readToolChoice(&scanner)
                    request.echo.toolChoice = RawJSON(Array(buffer[mark.offset..<scanner.offset]))
                case "parallel_tool_calls":
                    request.chat.parallelToolCalls = try scanner.readBool()
                    request.echo.parallelToolCalls = request.chat.parallelToolCalls
                case "store": request.store = try scanner.readBool()
                case "previous_response_id": request.previousResponseID = try scanner.readString()
                case "metadata": request.echo.metadata = RawJSON(try scanner.readRawValue())
                case "reasoning": request.chat.reasoning = try readReasoning(&scanner)
                case "text":
                    let mark = scanner.mark()
                    request.chat.responseFormat = try readTextFormat(&scanner)
                    request.echo.text = RawJSON(Array(buffer[mark.offset..<scanner.offset]))
                case "user":
                    request.echo.user = try scanner.readString()
                default:
                    try scanner.skipValue()
                    guard ignoredFields.contains(name) else {
                        throw WireError(
                            "'\(EchoedText.short(name))' cannot be carried by this router's Responses API: no provider behind it takes it.",
                            param: name)
                    }
                }
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError("'\(path)' has the wrong type.", param: path)
        }
        request.echo.reasoningEffort = request.chat.reasoning?.effort
        guard hasModel else { throw WireError("Missing required parameter: 'model'.", param: "model") }
        guard hasInput || request.previousResponseID != nil else {
            throw WireError("Missing required parameter: 'input'.", param: "input")
        }
        request.chat.messages = namingToolResults(request.chat.messages)
        return request
    }

    // MARK: Input

    /// `input`: a string (one user message) or an array of items. `system` and `developer` messages join the
    /// system prompt.
    private static func readInput(_ scanner: inout JSONScanner, system: inout [String]) throws -> [ChatMessage] {
        if try scanner.peekKind() == .string {
            let text = try scanner.readString()
            return [ChatMessage(role: .user, parts: text.isEmpty ? [] : [.text(text)])]
        }
        var messages: [ChatMessage] = []
        try scanner.enterArray()
        var index = 0
        while try scanner.nextElement() {
            let path = "input[\(index)]"
            try scanner.enterObject()
            var type = "message"
            var role: String?
            var content: JSONScanner.Mark?
            var callID: String?
            var name: String?
            var arguments: String?
            var output: JSONScanner.Mark?
            while let key = try scanner.nextMember() {
                switch key {
                case "type": type = try scanner.readString()
                case "role": role = try scanner.readString()
                case "content": content = try scanner.markValue()
                case "call_id": callID = try scanner.readString()
                case "name": name = try scanner.readString()
                case "arguments": arguments = try scanner.readString()
                case "output": output = try scanner.markValue()
                default: try scanner.skipValue()  // `id`, `status`, `phase`, `summary`, `encrypted_content`…
                }
            }
            switch type {
            case "message":
                guard let role else { throw WireError("Missing required parameter: '\(path).role'.", param: "\(path).role") }
                var parts: [ChatPart] = []
                if let content {
                    var text = scanner.resumed(at: content)
                    parts = try readContent(&text, path: "\(path).content")
                }
                switch role {
                case "system", "developer":
                    for part in parts {
                        guard case .text(let text) = part else {
                            throw WireError("'\(path).content' of a \(role) message can hold only text.", param: "\(path).content")
                        }
                        system.append(text)
                    }
                case "user": append(&messages, role: .user, parts: parts)
                case "assistant": append(&messages, role: .assistant, parts: parts)
                default:
                    throw WireError("'\(path).role' must be 'user', 'assistant', 'system' or 'developer'.", param: "\(path).role")
                }
            case "function_call":
                guard let callID else { throw WireError("Missing required parameter: '\(path).call_id'.", param: "\(path).call_id") }
                guard let name, !name.isEmpty else {
                    throw WireError("Missing required parameter: '\(path).name'.", param: "\(path).name")
                }
                append(&messages, role: .assistant, parts: [.toolCall(id: callID, name: name, arguments: arguments ?? "")])
            case "function_call_output":
                guard let callID else { throw WireError("Missing required parameter: '\(path).call_id'.", param: "\(path).call_id") }
                guard let output else { throw WireError("Missing required parameter: '\(path).output'.", param: "\(path).output") }
                var text = scanner.resumed(at: output)
                let result = try readContent(&text, path: "\(path).output")
                append(&messages, role: .user, parts: [.toolResult(id: callID, name: "", content: result, isError: false)])
            case "reasoning":
                // OpenAI's reasoning goes back only to OpenAI's own Responses API; no dialect behind the router takes it.
                break
            default:
                throw WireError(
                    "'\(path)' is a '\(EchoedText.short(type))' item: this router's Responses API takes messages, function_call, function_call_output and reasoning items.",
                    param: "\(path).type")
            }
            index += 1
        }
        return messages
    }

    /// Adds `parts` to the last message when it has the same role (a function call after the assistant's text,
    /// several tool results in one user turn, as Anthropic wants them), else as a new message.
    private static func append(_ messages: inout [ChatMessage], role: ChatMessage.Role, parts: [ChatPart]) {
        if let last = messages.indices.last, messages[last].role == role {
            let previous = messages[last].parts
            let joins: Bool
            switch (role, parts.first) {
            case (.assistant, .toolCall): joins = true
            case (.user, .toolResult):
                joins = !previous.isEmpty && previous.allSatisfy { if case .toolResult = $0 { true } else { false } }
            default: joins = false
            }
            if joins {
                messages[last].parts += parts
                return
            }
        }
        messages.append(ChatMessage(role: role, parts: parts))
    }

    /// A message's `content` (or a function call's `output`): a string, or an array of parts.
    private static func readContent(_ scanner: inout JSONScanner, path: String) throws -> [ChatPart] {
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
            var fileID = false
            while let key = try scanner.nextMember() {
                switch key {
                case "type": type = try scanner.readString()
                case "text", "refusal": text = try scanner.readString()
                case "image_url": imageURL = try scanner.readNullableString()
                case "file_id":
                    fileID = try !scanner.consumeNull()
                    if fileID { try scanner.skipValue() }
                default: try scanner.skipValue()  // `detail`, `annotations`, `logprobs`
                }
            }
            switch type {
            case "input_text", "output_text", "refusal", "text":
                guard let text else { throw WireError("Missing required parameter: '\(partPath).text'.", param: "\(partPath).text") }
                parts.append(.text(text))
            case "input_image":
                guard let imageURL else {
                    let message = fileID ? "'\(partPath).file_id' cannot be carried: send the image as 'image_url'." : "Missing required parameter: '\(partPath).image_url'."
                    throw WireError(message, param: fileID ? "\(partPath).file_id" : "\(partPath).image_url")
                }
                parts.append(.image(ImageSource(url: imageURL)))
            default:
                throw WireError(
                    "'\(partPath)' is an '\(EchoedText.short(type))' part: only input_text, output_text and input_image can be carried.",
                    param: "\(partPath).type")
            }
            index += 1
        }
        return parts
    }

    /// Gives each tool result its call's tool name, found in the calls before it.
    static func namingToolResults(_ messages: [ChatMessage]) -> [ChatMessage] {
        var names: [String: String] = [:]
        var named = messages
        for messageIndex in named.indices {
            for partIndex in named[messageIndex].parts.indices {
                switch named[messageIndex].parts[partIndex] {
                case .toolCall(let id, let name, _): names[id] = name
                case .toolResult(let id, let name, let content, let isError) where name.isEmpty:
                    named[messageIndex].parts[partIndex] = .toolResult(id: id, name: names[id] ?? "", content: content, isError: isError)
                default: break
                }
            }
        }
        return named
    }

    // MARK: Tools and options

    /// `tools`: function tools only (`{"type":"function","name":…,"parameters":…}`, flat as the Responses API has
    /// them). A built-in tool is OpenAI's own service: no provider behind the router has it.
    private static func readTools(_ scanner: inout JSONScanner) throws -> [ToolDefinition] {
        var tools: [ToolDefinition] = []
        try scanner.enterArray()
        var index = 0
        while try scanner.nextElement() {
            var type = ""
            var tool = ToolDefinition(name: "")
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "type": type = try scanner.readString()
                case "name": tool.name = try scanner.readString()
                case "description": tool.description = try scanner.readNullableString()
                case "parameters": tool.parameters = try scanner.consumeNull() ? nil : RawJSON(try scanner.readRawValue())
                default: try scanner.skipValue()  // `strict`
                }
            }
            guard type == "function" else {
                throw WireError(
                    "'tools[\(index)]' is a '\(EchoedText.short(type))' tool: this router carries only function tools (built-in tools are OpenAI's own service).",
                    param: "tools[\(index)].type")
            }
            guard !tool.name.isEmpty else {
                throw WireError("Missing required parameter: 'tools[\(index)].name'.", param: "tools[\(index)].name")
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
        var type = ""
        var name: String?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "type": type = try scanner.readString()
            case "name": name = try scanner.readString()
            default: try scanner.skipValue()
            }
        }
        guard type == "function" else {
            throw WireError("'tool_choice' of type '\(EchoedText.short(type))' cannot be carried: only functions.", param: "tool_choice.type")
        }
        guard let name else { throw WireError("Missing required parameter: 'tool_choice.name'.", param: "tool_choice.name") }
        return .tool(name: name)
    }

    private static func readReasoning(_ scanner: inout JSONScanner) throws -> ReasoningRequest? {
        var effort: String?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if key.matches("effort") { effort = try scanner.readNullableString() } else { try scanner.skipValue() }
        }
        guard let effort, effort != "none" else { return nil }
        return ReasoningRequest(effort: effort)
    }

    /// `text.format`: `text`, `json_object`, or `json_schema` (flat: `name`, `schema`, `strict`).
    private static func readTextFormat(_ scanner: inout JSONScanner) throws -> ResponseFormat? {
        var format: ResponseFormat?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            guard key.matches("format") else {
                try scanner.skipValue()  // `verbosity`
                continue
            }
            var type = ""
            var name = "response"
            var schema: RawJSON?
            var strict: Bool?
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "type": type = try scanner.readString()
                case "name": name = try scanner.readString()
                case "schema": schema = RawJSON(try scanner.readRawValue())
                case "strict": strict = try scanner.consumeNull() ? nil : try scanner.readBool()
                default: try scanner.skipValue()
                }
            }
            switch type {
            case "text": format = .text
            case "json_object": format = .jsonObject
            case "json_schema":
                guard let schema else {
                    throw WireError("Missing required parameter: 'text.format.schema'.", param: "text.format.schema")
                }
                format = .jsonSchema(name: name, schema: schema, strict: strict)
            default:
                throw WireError("'text.format.type' must be 'text', 'json_object' or 'json_schema'.", param: "text.format.type")
            }
        }
        return format
    }
}
