import EdgeJSON
import NIOCore

/// Writes a neutral ``ChatRequest`` as the body of a Cog prediction, `{"input":{…}}`, through a deployment's input
/// template: each field is the template's text with its `{{placeholders}}` filled in (``CogTemplateText``), or a
/// fixed JSON value.
///
/// Placeholders: `{{prompt}}` is the conversation rendered by the ``CogChatTemplate``; `{{system}}` the system
/// prompt; `{{last_user}}` the text of the last user turn; `{{max_tokens}}` the client's limit, else the model's
/// `default_max_tokens`; `{{temperature}}`, `{{top_p}}`, `{{top_k}}` the client's, when it gave them; `{{stop}}`
/// the stop sequences joined by commas; `{{model}}` the deployment's `model`. A field that is exactly one
/// placeholder takes its JSON type (`max_tokens` is an integer, `temperature` a number, as the predictor's typed
/// arguments need) and is left out when the request has no value for it, so the predictor's default applies.
///
/// A Cog model takes text and answers text: tools, tool calls and results, images, several choices, a response
/// format and any field the client's reader could not translate are refused with a ``WireError`` naming the field.
/// Reasoning from earlier turns is dropped.
public enum CogRequestWriter {
    /// One field of the input template: its key, and its text with placeholders, or its literal JSON.
    public typealias Field = (name: String, value: String, isLiteral: Bool)

    /// The request body. `defaultMaxTokens` is the model's; `model` the deployment's upstream model.
    public static func body(
        for request: ChatRequest, fields: [Field], chatTemplate: CogChatTemplate, defaultMaxTokens: Int, model: String
    ) throws(WireError) -> ByteBuffer {
        let values = try values(of: request, fields: fields, chatTemplate: chatTemplate, defaultMaxTokens: defaultMaxTokens, model: model)
        var body = ByteBufferAllocator().buffer(capacity: 256)
        body.writeStaticString(#"{"input":{"#)
        var first = true
        for field in fields {
            var rendered = ByteBufferAllocator().buffer(capacity: 64)
            guard write(field, values: values, into: &rendered) else { continue }
            if !first { body.writeStaticString(",") }
            first = false
            body.writeJSONString(field.name)
            body.writeStaticString(":")
            body.writeBuffer(&rendered)
        }
        body.writeStaticString("}}")
        return body
    }

    /// A placeholder's value: text, or a JSON number written as it should be sent.
    enum Value {
        case text(String)
        case number(String)
    }

    /// Every placeholder's value for `request`; a placeholder without one (no temperature given) is absent.
    static func values(
        of request: ChatRequest, fields: [Field], chatTemplate: CogChatTemplate, defaultMaxTokens: Int, model: String
    ) throws(WireError) -> [String: Value] {
        try refuseUntranslatable(request)
        let system = request.system.joined(separator: "\n\n")
        var turns: [(role: ChatMessage.Role, text: String)] = []
        for (index, message) in request.messages.enumerated() {
            var text = ""
            for (partIndex, part) in message.parts.enumerated() {
                switch part {
                case .text(let piece):
                    text += piece
                case .thinking, .redactedThinking:
                    continue
                case .image:
                    throw WireError(
                        "Images cannot be sent to a Cog-dialect provider of this model.", param: "messages[\(index)].content[\(partIndex)]")
                case .toolCall, .toolResult:
                    throw WireError(
                        "Tool calls and results cannot be sent to a Cog-dialect provider of this model.",
                        param: "messages[\(index)].content[\(partIndex)]")
                }
            }
            turns.append((message.role, text))
        }
        // The system prompt goes where the input template puts it; without a `{{system}}`, into the prompt.
        let systemHasField = fields.contains { !$0.isLiteral && CogTemplateText.uses("system", in: $0.value) }
        var values: [String: Value] = [
            "prompt": .text(chatTemplate.render(system: systemHasField ? "" : system, messages: turns)),
            "max_tokens": .number(String(request.maxTokens ?? defaultMaxTokens)),
            "model": .text(model),
        ]
        if !system.isEmpty { values["system"] = .text(system) }
        if let last = turns.last(where: { $0.role == .user }) { values["last_user"] = .text(last.text) }
        if let temperature = request.temperature { values["temperature"] = .number(String(decoding: temperature.bytes, as: UTF8.self)) }
        if let topP = request.topP { values["top_p"] = .number(String(decoding: topP.bytes, as: UTF8.self)) }
        if let topK = request.topK { values["top_k"] = .number(String(topK)) }
        if !request.stopSequences.isEmpty { values["stop"] = .text(request.stopSequences.joined(separator: ",")) }
        return values
    }

    private static func refuseUntranslatable(_ request: ChatRequest) throws(WireError) {
        if let path = request.untranslatable.first {
            throw WireError("'\(path)' cannot be sent to a Cog-dialect provider of this model.", param: path)
        }
        if !request.tools.isEmpty {
            throw WireError("Tools cannot be sent to a Cog-dialect provider of this model.", param: "tools")
        }
        if let count = request.choiceCount, count > 1 {
            throw WireError("A Cog-dialect provider of this model gives one answer: 'n' must be 1.", param: "n")
        }
        if let format = request.responseFormat, format != .text {
            throw WireError("'response_format' cannot be sent to a Cog-dialect provider of this model.", param: "response_format")
        }
    }

    /// Writes one field's JSON value; false when it is left out (a lone placeholder with no value).
    private static func write(_ field: Field, values: [String: Value], into out: inout ByteBuffer) -> Bool {
        if field.isLiteral {
            out.writeString(field.value)
            return true
        }
        let pieces = CogTemplateText.pieces(field.value)
        if pieces.count == 1, case .placeholder(let name) = pieces[0] {
            switch values[name] {
            case .text(let text)?: out.writeJSONString(text)
            case .number(let number)?: out.writeString(number)
            case nil: return false
            }
            return true
        }
        var text = ""
        for piece in pieces {
            switch piece {
            case .text(let literal): text += literal
            case .placeholder(let name):
                switch values[name] {
                case .text(let value)?, .number(let value)?: text += value
                case nil: break
                }
            }
        }
        out.writeJSONString(text)
        return true
    }
}
