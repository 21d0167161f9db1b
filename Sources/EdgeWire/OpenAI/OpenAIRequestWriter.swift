import EdgeJSON
import NIOCore

/// Writes a neutral ``ChatRequest`` as an OpenAI chat-completion body, for an OpenAI-dialect deployment of a
/// request that came in another dialect. Always streaming, always with the usage chunk, as the router needs.
///
/// What OpenAI cannot take is refused with a ``WireError`` naming the field: fields the client's dialect had and
/// no neutral one holds, `top_k`, images inside tool results. Reasoning from an earlier turn (Anthropic's signed
/// thinking blocks) is not sent: OpenAI takes no reasoning as input. A tool result's error flag has no OpenAI
/// field either; the result's text goes as it is.
public enum OpenAIRequestWriter {
    /// The body for `model`.
    public static func body(for request: ChatRequest, model: String) throws(WireError) -> ByteBuffer {
        if let field = request.untranslatable.first {
            throw WireError("'\(field)' cannot be sent to an OpenAI-dialect provider of this model.", param: field)
        }
        if request.topK != nil {
            throw WireError("'top_k' cannot be sent to an OpenAI-dialect provider of this model.", param: "top_k")
        }
        var body = ByteBufferAllocator().buffer(capacity: 1024)
        body.writeStaticString(#"{"model":"#)
        body.writeJSONString(model)
        body.writeStaticString(#","messages":["#)
        var first = true
        if !request.system.isEmpty {
            separate(&first, in: &body)
            body.writeStaticString(#"{"role":"system","content":"#)
            body.writeJSONString(request.system.joined(separator: "\n\n"))
            body.writeStaticString("}")
        }
        for (index, message) in request.messages.enumerated() {
            try write(message, index: index, to: &body, first: &first)
        }
        body.writeStaticString("]")
        if !request.tools.isEmpty {
            body.writeStaticString(#","tools":["#)
            for (index, tool) in request.tools.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeStaticString(#"{"type":"function","function":{"name":"#)
                body.writeJSONString(tool.name)
                if let description = tool.description {
                    body.writeStaticString(#","description":"#)
                    body.writeJSONString(description)
                }
                if let parameters = tool.parameters {
                    body.writeStaticString(#","parameters":"#)
                    body.writeBytes(parameters.bytes)
                }
                body.writeStaticString("}}")
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
                body.writeStaticString(#"{"type":"function","function":{"name":"#)
                body.writeJSONString(name)
                body.writeStaticString("}}")
            }
        }
        if let parallel = request.parallelToolCalls, !request.tools.isEmpty {
            body.writeStaticString(parallel ? #","parallel_tool_calls":true"# : #","parallel_tool_calls":false"#)
        }
        if let maxTokens = request.maxTokens {
            body.writeStaticString(#","max_completion_tokens":"#)
            body.writeJSONInteger(maxTokens)
        }
        if let temperature = request.temperature {
            body.writeStaticString(#","temperature":"#)
            body.writeBytes(temperature.bytes)
        }
        if let topP = request.topP {
            body.writeStaticString(#","top_p":"#)
            body.writeBytes(topP.bytes)
        }
        if let count = request.choiceCount {
            body.writeStaticString(#","n":"#)
            body.writeJSONInteger(count)
        }
        if !request.stopSequences.isEmpty {
            body.writeStaticString(#","stop":["#)
            for (index, stop) in request.stopSequences.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeJSONString(stop)
            }
            body.writeStaticString("]")
        }
        switch request.responseFormat {
        case nil: break
        case .text: body.writeStaticString(#","response_format":{"type":"text"}"#)
        case .jsonObject: body.writeStaticString(#","response_format":{"type":"json_object"}"#)
        case .jsonSchema(let name, let schema, let strict):
            body.writeStaticString(#","response_format":{"type":"json_schema","json_schema":{"name":"#)
            body.writeJSONString(name)
            body.writeStaticString(#","schema":"#)
            body.writeBytes(schema.bytes)
            if let strict { body.writeStaticString(strict ? #","strict":true"# : #","strict":false"#) }
            body.writeStaticString("}}")
        }
        if let effort = request.reasoning?.level {
            body.writeStaticString(#","reasoning_effort":"#)
            body.writeJSONString(effort)
        }
        body.writeStaticString(#","stream":true,"stream_options":{"include_usage":true}}"#)
        return body
    }

    /// A comma before every message but the first.
    private static func separate(_ first: inout Bool, in body: inout ByteBuffer) {
        if !first { body.writeStaticString(",") }
        first = false
    }

    private static func write(
        _ message: ChatMessage, index: Int, to body: inout ByteBuffer, first: inout Bool
    ) throws(WireError) {
        // Tool results are OpenAI `tool` messages of their own, before the rest of the turn.
        var rest: [ChatPart] = []
        var calls: [(id: String, name: String, arguments: String)] = []
        for (position, part) in message.parts.enumerated() {
            switch part {
            case .toolResult(let id, _, let content, _):
                separate(&first, in: &body)
                body.writeStaticString(#"{"role":"tool","tool_call_id":"#)
                body.writeJSONString(id)
                body.writeStaticString(#","content":"#)
                var text = ""
                for item in content {
                    guard case .text(let piece) = item else {
                        throw WireError(
                            "'messages[\(index)].content[\(position)]': an OpenAI-dialect provider takes only text in tool results.",
                            param: "messages[\(index)].content[\(position)]")
                    }
                    text += piece
                }
                body.writeJSONString(text)
                body.writeStaticString("}")
            case .toolCall(let id, let name, let arguments):
                calls.append((id, name, arguments))
            case .thinking, .redactedThinking:
                break
            case .text, .image:
                rest.append(part)
            }
        }
        guard !rest.isEmpty || !calls.isEmpty else { return }
        separate(&first, in: &body)
        body.writeStaticString(message.role == .user ? #"{"role":"user","content":"# : #"{"role":"assistant","content":"#)
        if rest.isEmpty {
            body.writeStaticString("null")
        } else if message.role == .assistant || rest.allSatisfy({ if case .text = $0 { true } else { false } }) {
            // Assistant content is text; a user's text-only content is the plain string most servers expect.
            var text = ""
            for case .text(let piece) in rest { text += piece }
            body.writeJSONString(text)
        } else {
            body.writeStaticString("[")
            for (position, part) in rest.enumerated() {
                if position > 0 { body.writeStaticString(",") }
                switch part {
                case .text(let text):
                    body.writeStaticString(#"{"type":"text","text":"#)
                    body.writeJSONString(text)
                    body.writeStaticString("}")
                case .image(let source):
                    body.writeStaticString(#"{"type":"image_url","image_url":{"url":"#)
                    body.writeJSONString(source.openAIURL)
                    body.writeStaticString("}}")
                default:
                    break
                }
            }
            body.writeStaticString("]")
        }
        if !calls.isEmpty {
            body.writeStaticString(#","tool_calls":["#)
            for (position, call) in calls.enumerated() {
                if position > 0 { body.writeStaticString(",") }
                body.writeStaticString(#"{"id":"#)
                body.writeJSONString(call.id)
                body.writeStaticString(#","type":"function","function":{"name":"#)
                body.writeJSONString(call.name)
                body.writeStaticString(#","arguments":"#)
                body.writeJSONString(call.arguments.isEmpty ? "{}" : call.arguments)
                body.writeStaticString("}}")
            }
            body.writeStaticString("]")
        }
        body.writeStaticString("}")
    }
}
