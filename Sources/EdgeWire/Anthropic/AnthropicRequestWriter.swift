import EdgeJSON
import NIOCore

/// Writes a neutral ``ChatRequest`` (read from another dialect) as the Messages body for an Anthropic provider,
/// always with `"stream":true`: the router streams from every provider.
///
/// What the writer refuses, with a ``WireError`` naming the field in the path the caller gave it (the client's
/// terms): the request's first ``ChatRequest/untranslatable`` field; more than one choice (`n`); a JSON response
/// format (`response_format`: the Messages API has no such field); a forced tool call with reasoning
/// (`tool_choice`: Anthropic allows only `auto` or `none` with thinking); tool-call arguments that are not a JSON
/// object (`messages[i].tool_calls[j].function.arguments`).
///
/// What it adjusts, because Anthropic would refuse the request otherwise:
/// - `max_tokens` is required: the request's, else `defaultMaxTokens`.
/// - With reasoning, `thinking` gets a budget of at least 1,024 tokens (Anthropic's minimum); the budget must be
///   below `max_tokens`, which is raised to budget + `defaultMaxTokens` when it is not; `temperature` and `top_k`
///   are left out (Anthropic refuses them with thinking).
/// - Thinking without a signature (it came from another provider) is dropped: Anthropic accepts back only the
///   thinking it signed. A message left with no content is dropped too (consecutive messages of one role are
///   merged by Anthropic, so the turns stay well formed).
/// - `tool_choice` is written only when there are tools.
public enum AnthropicRequestWriter {
    /// Anthropic's smallest thinking budget.
    public static let minimumThinkingBudget = 1_024

    /// The Messages body for `model` (the deployment's own id).
    public static func body(for request: ChatRequest, model: String, defaultMaxTokens: Int) throws(WireError) -> ByteBuffer {
        if let field = request.untranslatable.first {
            throw WireError("'\(field)' cannot be sent to an Anthropic-dialect provider of this model: the Messages API has no equivalent.", param: field)
        }
        if let count = request.choiceCount, count > 1 {
            throw WireError("'n' greater than 1 cannot be sent to an Anthropic-dialect provider of this model: Anthropic gives one answer per request.", param: "n")
        }
        switch request.responseFormat {
        case .jsonObject, .jsonSchema:
            throw WireError("'response_format' other than text cannot be sent to an Anthropic-dialect provider of this model.", param: "response_format")
        case .text, nil:
            break
        }
        if request.reasoning?.budget != nil, !request.tools.isEmpty {
            switch request.toolChoice {
            case .required?, .tool?:
                throw WireError(
                    "'tool_choice' that forces a tool call cannot be sent with reasoning to an Anthropic-dialect provider of this model: Anthropic allows only 'auto' or 'none' with thinking.",
                    param: "tool_choice")
            case .auto?, .none?, nil:
                break
            }
        }

        var maxTokens = max(1, request.maxTokens ?? defaultMaxTokens)
        var thinkingBudget: Int?
        if let budget = request.reasoning?.budget {
            let clamped = max(minimumThinkingBudget, budget)
            thinkingBudget = clamped
            if maxTokens <= clamped {
                let (raised, overflow) = clamped.addingReportingOverflow(max(1, defaultMaxTokens))
                maxTokens = overflow ? .max : raised
            }
        }

        var body = ByteBufferAllocator().buffer(capacity: 512 + estimatedSize(of: request))
        body.writeStaticString(#"{"model":"#)
        body.writeJSONString(model)
        body.writeStaticString(#","max_tokens":"#)
        body.writeJSONInteger(maxTokens)
        body.writeStaticString(#","stream":true"#)
        let system = request.system.joined(separator: "\n\n")
        if !system.isEmpty {
            body.writeStaticString(#","system":"#)
            body.writeJSONString(system)
        }
        body.writeStaticString(#","messages":["#)
        var first = true
        for (index, message) in request.messages.enumerated() {
            try writeMessage(message, index: index, first: &first, into: &body)
        }
        body.writeStaticString("]")
        if !request.tools.isEmpty {
            writeTools(request.tools, into: &body)
            writeToolChoice(request.toolChoice, parallel: request.parallelToolCalls, into: &body)
        }
        if !request.stopSequences.isEmpty {
            body.writeStaticString(#","stop_sequences":["#)
            for (index, sequence) in request.stopSequences.enumerated() {
                if index > 0 { body.writeStaticString(",") }
                body.writeJSONString(sequence)
            }
            body.writeStaticString("]")
        }
        if thinkingBudget == nil {
            if let temperature = request.temperature {
                body.writeStaticString(#","temperature":"#)
                body.writeBytes(temperature.bytes)
            }
            if let topK = request.topK {
                body.writeStaticString(#","top_k":"#)
                body.writeJSONInteger(topK)
            }
        }
        if let topP = request.topP {
            body.writeStaticString(#","top_p":"#)
            body.writeBytes(topP.bytes)
        }
        if let thinkingBudget {
            body.writeStaticString(#","thinking":{"type":"enabled","budget_tokens":"#)
            body.writeJSONInteger(thinkingBudget)
            body.writeStaticString("}")
        }
        body.writeStaticString("}")
        return body
    }

    /// A rough size of the body, so that the buffer rarely regrows.
    private static func estimatedSize(of request: ChatRequest) -> Int {
        var size = 0
        for piece in request.system { size &+= piece.utf8.count }
        for message in request.messages {
            for part in message.parts {
                switch part {
                case .text(let text): size &+= text.utf8.count &+ 32
                case .image(.base64(_, let data)): size &+= data.utf8.count &+ 96
                case .image(.url(let url)): size &+= url.utf8.count &+ 64
                case .toolCall(let id, let name, let arguments): size &+= id.utf8.count &+ name.utf8.count &+ arguments.utf8.count &+ 64
                case .toolResult(let id, _, let content, _): size &+= id.utf8.count &+ 64 &+ content.count &* 64
                case .thinking(let text, let signature): size &+= text.utf8.count &+ (signature?.utf8.count ?? 0) &+ 64
                case .redactedThinking(let data): size &+= data.utf8.count &+ 48
                }
            }
        }
        for tool in request.tools { size &+= tool.name.utf8.count &+ (tool.description?.utf8.count ?? 0) &+ (tool.parameters?.bytes.count ?? 0) &+ 64 }
        return size
    }
}
