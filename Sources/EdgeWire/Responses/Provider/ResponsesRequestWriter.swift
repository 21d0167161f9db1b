import EdgeJSON
import NIOCore

/// Writes a neutral ``ChatRequest`` as a Responses API body (`POST {base_url}/responses`), for a provider that
/// speaks it natively (`dialect: openai-responses`). Always streaming, always `store: false`: stored responses and
/// `previous_response_id` are the router's, so the whole conversation goes as input items every time.
///
/// - The system prompt is `instructions`; user text and images are `input_text`/`input_image` parts; assistant
///   text is an assistant message; tool calls and results are `function_call` and `function_call_output` items.
/// - Tools are function tools; `tool_choice`, `parallel_tool_calls`, `max_output_tokens` (at least 16, OpenAI's
///   minimum: a smaller limit is raised to it), `temperature`, `top_p`,
///   `text.format` (JSON object or schema) and `reasoning.effort` (with `summary: auto`, so that reasoning comes
///   back as summaries) carry over.
///
/// What the Responses API cannot take is refused with a ``WireError`` naming the field: fields the client's dialect
/// had and no neutral one holds, `top_k`, stop sequences, more than one choice, images inside tool results.
/// Reasoning from an earlier turn is not sent back (the API takes it only as its own encrypted items).
public enum ResponsesRequestWriter {
    /// The smallest `max_output_tokens` OpenAI's Responses API takes.
    public static let minimumOutputTokens = 16

    /// The body for `model`.
    public static func body(for request: ChatRequest, model: String) throws(WireError) -> ByteBuffer {
        if let field = request.untranslatable.first { throw refusal(field) }
        if request.topK != nil { throw refusal("top_k") }
        if !request.stopSequences.isEmpty { throw refusal("stop") }
        if let count = request.choiceCount, count != 1 { throw refusal("n") }
        var body = ByteBufferAllocator().buffer(capacity: 1024)
        body.writeStaticString(#"{"model":"#)
        body.writeJSONString(model)
        if !request.system.isEmpty {
            body.writeStaticString(#","instructions":"#)
            body.writeJSONString(request.system.joined(separator: "\n\n"))
        }
        body.writeStaticString(#","input":["#)
        var first = true
        try writeItems(request.messages, to: &body, first: &first)
        body.writeStaticString("]")
        if !request.tools.isEmpty {
            body.writeStaticString(#","tools":["#)
            for (index, tool) in request.tools.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeStaticString(#"{"type":"function","name":"#)
                body.writeJSONString(tool.name)
                if let description = tool.description {
                    body.writeStaticString(#","description":"#)
                    body.writeJSONString(description)
                }
                body.writeStaticString(#","parameters":"#)
                if let parameters = tool.parameters {
                    body.writeBytes(parameters.bytes)
                } else {
                    body.writeStaticString(#"{"type":"object","properties":{}}"#)
                }
                // Strict schemas are OpenAI's default for Responses tools; neutral tools never asked for it.
                body.writeStaticString(#","strict":false}"#)
            }
            body.writeStaticString("]")
        }
        if let choice = request.toolChoice {
            body.writeStaticString(#","tool_choice":"#)
            switch choice {
            case .auto: body.writeStaticString(#""auto""#)
            case .none: body.writeStaticString(#""none""#)
            case .required: body.writeStaticString(#""required""#)
            case .tool(let name):
                body.writeStaticString(#"{"type":"function","name":"#)
                body.writeJSONString(name)
                body.writeStaticString("}")
            }
        }
        if let parallel = request.parallelToolCalls, !request.tools.isEmpty {
            body.writeStaticString(parallel ? #","parallel_tool_calls":true"# : #","parallel_tool_calls":false"#)
        }
        if let maxTokens = request.maxTokens {
            // OpenAI refuses a `max_output_tokens` below 16 (a 400): a smaller limit (a probe's 1) is raised to it.
            body.writeStaticString(#","max_output_tokens":"#)
            body.writeJSONInteger(max(maxTokens, Self.minimumOutputTokens))
        }
        if let temperature = request.temperature {
            body.writeStaticString(#","temperature":"#)
            body.writeBytes(temperature.bytes)
        }
        if let topP = request.topP {
            body.writeStaticString(#","top_p":"#)
            body.writeBytes(topP.bytes)
        }
        switch request.responseFormat {
        case nil: break
        case .text: body.writeStaticString(#","text":{"format":{"type":"text"}}"#)
        case .jsonObject: body.writeStaticString(#","text":{"format":{"type":"json_object"}}"#)
        case .jsonSchema(let name, let schema, let strict):
            body.writeStaticString(#","text":{"format":{"type":"json_schema","name":"#)
            body.writeJSONString(name)
            body.writeStaticString(#","schema":"#)
            body.writeBytes(schema.bytes)
            if let strict { body.writeStaticString(strict ? #","strict":true"# : #","strict":false"#) }
            body.writeStaticString("}}")
        }
        if let effort = request.reasoning?.level {
            body.writeStaticString(#","reasoning":{"effort":"#)
            body.writeJSONString(effort)
            body.writeStaticString(#","summary":"auto"}"#)
        }
        body.writeStaticString(#","store":false,"stream":true}"#)
        return body
    }

    private static func refusal(_ field: String) -> WireError {
        WireError("'\(field)' cannot be sent to an OpenAI Responses-dialect provider of this model.", param: field)
    }

    /// `messages` as input items, comma-separated (a comma before each but when `first`), for the `input` array.
    static func writeItems(_ messages: [ChatMessage], to body: inout ByteBuffer, first: inout Bool) throws(WireError) {
        for (index, message) in messages.enumerated() {
            try write(message, index: index, to: &body, first: &first)
        }
    }

    /// A comma before every item but the first.
    private static func separate(_ first: inout Bool, in body: inout ByteBuffer) {
        if !first { body.writeStaticString(",") }
        first = false
    }

    /// One neutral message as input items, in order: its text and images as one message item (split around tool
    /// calls and results, which are items of their own).
    private static func write(_ message: ChatMessage, index: Int, to body: inout ByteBuffer, first: inout Bool) throws(WireError) {
        var pending: [ChatPart] = []
        func flush(_ body: inout ByteBuffer, _ first: inout Bool) {
            guard !pending.isEmpty else { return }
            separate(&first, in: &body)
            writeMessage(role: message.role, parts: pending, to: &body)
            pending.removeAll()
        }
        for (position, part) in message.parts.enumerated() {
            switch part {
            case .text, .image:
                pending.append(part)
            case .toolCall(let id, let name, let arguments):
                flush(&body, &first)
                separate(&first, in: &body)
                body.writeStaticString(#"{"type":"function_call","call_id":"#)
                body.writeJSONString(id)
                body.writeStaticString(#","name":"#)
                body.writeJSONString(name)
                body.writeStaticString(#","arguments":"#)
                body.writeJSONString(arguments.isEmpty ? "{}" : arguments)
                body.writeStaticString("}")
            case .toolResult(let id, _, let content, _):
                flush(&body, &first)
                var text = ""
                for item in content {
                    guard case .text(let piece) = item else {
                        throw WireError(
                            "'messages[\(index)].content[\(position)]': an OpenAI Responses-dialect provider takes only text in tool results.",
                            param: "messages[\(index)].content[\(position)]")
                    }
                    text += piece
                }
                separate(&first, in: &body)
                body.writeStaticString(#"{"type":"function_call_output","call_id":"#)
                body.writeJSONString(id)
                body.writeStaticString(#","output":"#)
                body.writeJSONString(text)
                body.writeStaticString("}")
            case .thinking, .redactedThinking:
                break
            }
        }
        flush(&body, &first)
    }

    private static func writeMessage(role: ChatMessage.Role, parts: [ChatPart], to body: inout ByteBuffer) {
        guard role == .user else {
            // Assistant content is text (an assistant's images have no place in the Responses API's input).
            var text = ""
            for case .text(let piece) in parts { text += piece }
            body.writeStaticString(#"{"type":"message","role":"assistant","content":"#)
            body.writeJSONString(text)
            body.writeStaticString("}")
            return
        }
        body.writeStaticString(#"{"type":"message","role":"user","content":["#)
        for (position, part) in parts.enumerated() {
            if position > 0 { body.writeStaticString(",") }
            switch part {
            case .text(let text):
                body.writeStaticString(#"{"type":"input_text","text":"#)
                body.writeJSONString(text)
                body.writeStaticString("}")
            case .image(let source):
                body.writeStaticString(#"{"type":"input_image","image_url":"#)
                body.writeJSONString(source.openAIURL)
                body.writeStaticString(#","detail":"auto"}"#)
            default:
                break
            }
        }
        body.writeStaticString("]}")
    }
}
