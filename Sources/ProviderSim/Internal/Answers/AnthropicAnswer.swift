/// Anthropic Messages answers: the named-event stream (`message_start`, `ping`, content blocks, `message_delta`,
/// `message_stop`) as a ``ScriptedFrames``, or one Message JSON.
enum AnthropicAnswer {
    /// A ping goes out after every this many units (and one right after `message_start`).
    static let pingEvery = 5

    // MARK: Streamed

    static func stream(_ shape: AnswerShape, malformed: [Bool]) -> ScriptedFrames {
        var script = ScriptBuilder()
        let start = event("message_start", #"{"type":"message_start","message":{"id":"\#(shape.id)","type":"message","role":"assistant","model":\#(SimulatedText.quoted(shape.model)),"content":[],"stop_reason":null,"stop_sequence":null,"usage":\#(startUsage(shape))}}"#)
            + event("ping", #"{"type":"ping"}"#)
        if shape.preambleWithHead { script.open(start) } else { script.lead(start) }

        func unit(_ index: Int, _ delta: String) {
            script.unit(event("content_block_delta", #"{"type":"content_block_delta","index":\#(index),"delta":\#(delta)}"#))
            if script.unitCount % pingEvery == 0 { script.lead(event("ping", #"{"type":"ping"}"#)) }
        }
        func blockStart(_ index: Int, _ block: String) {
            script.lead(event("content_block_start", #"{"type":"content_block_start","index":\#(index),"content_block":\#(block)}"#))
        }
        func blockStop(_ index: Int) {
            script.lead(event("content_block_stop", #"{"type":"content_block_stop","index":\#(index)}"#))
        }

        var block = 0
        if shape.thinkingTokens > 0 {
            blockStart(block, #"{"type":"thinking","thinking":"","signature":""}"#)
            for index in 0..<shape.thinkingTokens {
                unit(block, #"{"type":"thinking_delta","thinking":\#(SimulatedText.quoted(SimulatedText.thought(index)))}"#)
            }
            script.lead(event("content_block_delta", #"{"type":"content_block_delta","index":\#(block),"delta":{"type":"signature_delta","signature":"\#(SimulatedText.signature)"}}"#))
            blockStop(block)
            block += 1
        }
        if let tool = shape.toolCall {
            blockStart(block, #"{"type":"tool_use","id":"\#(toolID(shape))","name":\#(SimulatedText.quoted(tool)),"input":{}}"#)
            for fragment in SimulatedText.toolArguments {
                unit(block, #"{"type":"input_json_delta","partial_json":\#(SimulatedText.quoted(fragment))}"#)
            }
        } else {
            blockStart(block, #"{"type":"text","text":""}"#)
            for index in 0..<shape.textTokens {
                unit(block, #"{"type":"text_delta","text":\#(SimulatedText.quoted(SimulatedText.word(index)))}"#)
            }
        }
        blockStop(block)
        let closing = event("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"\#(stopReason(shape))","stop_sequence":null},"usage":{"output_tokens":\#(shape.outputTokens)}}"#)
            + event("message_stop", #"{"type":"message_stop"}"#)
        return script.build(
            closing: closing, failure: event("error", error(type: "overloaded_error", message: "Overloaded")),
            malformedFrame: "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\n\n",
            malformed: malformed)
    }

    // MARK: Whole

    static func body(_ shape: AnswerShape) -> String {
        var content: [String] = []
        if shape.thinkingTokens > 0 {
            content.append(#"{"type":"thinking","thinking":\#(SimulatedText.quoted(SimulatedText.thinking(shape.thinkingTokens))),"signature":"\#(SimulatedText.signature)"}"#)
        }
        if let tool = shape.toolCall {
            content.append(#"{"type":"tool_use","id":"\#(toolID(shape))","name":\#(SimulatedText.quoted(tool)),"input":\#(SimulatedText.toolArgumentsJSON)}"#)
        } else {
            content.append(#"{"type":"text","text":\#(SimulatedText.quoted(SimulatedText.answer(shape.textTokens)))}"#)
        }
        var usage = startUsage(shape)
        usage.removeLast("1}".count)
        usage += "\(shape.outputTokens)}"
        return #"{"id":"\#(shape.id)","type":"message","role":"assistant","model":\#(SimulatedText.quoted(shape.model)),"content":[\#(content.joined(separator: ","))],"stop_reason":"\#(stopReason(shape))","stop_sequence":null,"usage":\#(usage)}"#
    }

    // MARK: Parts

    /// `{"type":"error","error":{"type":...,"message":...}}`.
    static func error(type: String, message: String) -> String {
        #"{"type":"error","error":{"type":"\#(type)","message":\#(SimulatedText.quoted(message))}}"#
    }

    /// Anthropic's error type for an HTTP status.
    static func errorType(status: Int) -> String {
        switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 529: "overloaded_error"
        case 500...: "api_error"
        default: "invalid_request_error"
        }
    }

    static func stopReason(_ shape: AnswerShape) -> String {
        shape.toolCall != nil ? "tool_use" : shape.truncated ? "max_tokens" : "end_turn"
    }

    /// Input tokens exclude those read from the cache, which Anthropic counts apart. Ends in `"output_tokens":1}`
    /// (what `message_start` says before any output).
    static func startUsage(_ shape: AnswerShape) -> String {
        #"{"input_tokens":\#(shape.promptTokens - shape.cachedTokens),"cache_creation_input_tokens":0,"cache_read_input_tokens":\#(shape.cachedTokens),"output_tokens":1}"#
    }

    private static func toolID(_ shape: AnswerShape) -> String { "toolu_sim\(shape.sequence)" }

    private static func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
}
