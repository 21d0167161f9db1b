/// OpenAI Responses API answers (`POST /v1/responses`), written here from OpenAI's wire format (not with the
/// router's encoder, so that tests of the router against the simulator are not circular): the named-event stream
/// (`response.created`, `response.in_progress`, output items with their parts and deltas, then
/// `response.completed`, or `response.incomplete` when `max_output_tokens` cut the answer) as a
/// ``ScriptedFrames``, each event with its `sequence_number` from 0; or one Response object.
///
/// Reasoning (asked with `reasoning.effort`) comes first as a reasoning item with one summary; then either a
/// message with one `output_text` part or, when the tool rule fires, a function call. An in-stream failure
/// (`stream_error_after_tokens`) is `response.failed`, as OpenAI ends a stream that broke off.
enum ResponsesAnswer {
    // MARK: Streamed

    static func stream(_ shape: AnswerShape, malformed: [Bool]) -> ScriptedFrames {
        var script = ScriptBuilder()
        var sequence = 0
        func event(_ type: String, _ fields: String) -> String {
            defer { sequence += 1 }
            return "event: \(type)\ndata: {\"type\":\"\(type)\",\(fields),\"sequence_number\":\(sequence)}\n\n"
        }
        let opening =
            event("response.created", #""response":\#(response(shape, status: "in_progress", output: [], usage: nil))"#)
            + event("response.in_progress", #""response":\#(response(shape, status: "in_progress", output: [], usage: nil))"#)
        if shape.preambleWithHead { script.open(opening) } else { script.lead(opening) }

        var output: [String] = []
        if shape.thinkingTokens > 0 {
            let index = output.count
            let id = reasoningID(shape)
            script.lead(event("response.output_item.added", #""output_index":\#(index),"item":{"id":"\#(id)","type":"reasoning","summary":[]}"#))
            script.lead(event("response.reasoning_summary_part.added", #""item_id":"\#(id)","output_index":\#(index),"summary_index":0,"part":{"type":"summary_text","text":""}"#))
            for token in 0..<shape.thinkingTokens {
                script.unit(event("response.reasoning_summary_text.delta", #""item_id":"\#(id)","output_index":\#(index),"summary_index":0,"delta":\#(SimulatedText.quoted(SimulatedText.thought(token)))"#))
            }
            let text = SimulatedText.quoted(SimulatedText.thinking(shape.thinkingTokens))
            script.lead(event("response.reasoning_summary_text.done", #""item_id":"\#(id)","output_index":\#(index),"summary_index":0,"text":\#(text)"#))
            script.lead(event("response.reasoning_summary_part.done", #""item_id":"\#(id)","output_index":\#(index),"summary_index":0,"part":{"type":"summary_text","text":\#(text)}"#))
            let item = reasoningItem(shape)
            script.lead(event("response.output_item.done", #""output_index":\#(index),"item":\#(item)"#))
            output.append(item)
        }
        let index = output.count
        if let tool = shape.toolCall {
            let id = functionID(shape)
            script.lead(event("response.output_item.added", #""output_index":\#(index),"item":{"id":"\#(id)","type":"function_call","status":"in_progress","arguments":"","call_id":"\#(callID(shape))","name":\#(SimulatedText.quoted(tool))}"#))
            for fragment in SimulatedText.toolArguments {
                script.unit(event("response.function_call_arguments.delta", #""item_id":"\#(id)","output_index":\#(index),"delta":\#(SimulatedText.quoted(fragment))"#))
            }
            script.lead(event("response.function_call_arguments.done", #""item_id":"\#(id)","output_index":\#(index),"name":\#(SimulatedText.quoted(tool)),"arguments":\#(SimulatedText.quoted(SimulatedText.toolArgumentsJSON))"#))
            let item = functionItem(shape, tool: tool)
            script.lead(event("response.output_item.done", #""output_index":\#(index),"item":\#(item)"#))
            output.append(item)
        } else {
            let id = messageID(shape)
            script.lead(event("response.output_item.added", #""output_index":\#(index),"item":{"id":"\#(id)","type":"message","status":"in_progress","content":[],"role":"assistant"}"#))
            script.lead(event("response.content_part.added", #""item_id":"\#(id)","output_index":\#(index),"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}"#))
            for token in 0..<shape.textTokens {
                script.unit(event("response.output_text.delta", #""item_id":"\#(id)","output_index":\#(index),"content_index":0,"delta":\#(SimulatedText.quoted(SimulatedText.word(token))),"logprobs":[]"#))
            }
            let text = SimulatedText.quoted(SimulatedText.answer(shape.textTokens))
            script.lead(event("response.output_text.done", #""item_id":"\#(id)","output_index":\#(index),"content_index":0,"text":\#(text),"logprobs":[]"#))
            script.lead(event("response.content_part.done", #""item_id":"\#(id)","output_index":\#(index),"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":\#(text)}"#))
            let item = messageItem(shape)
            script.lead(event("response.output_item.done", #""output_index":\#(index),"item":\#(item)"#))
            output.append(item)
        }
        let status = shape.truncated ? "incomplete" : "completed"
        // The failure replaces the rest of the stream wherever it falls; it is numbered after the closing event (a
        // client sees a gap, which it does not check).
        let closing = event("response.\(status)", #""response":\#(response(shape, status: status, output: output, usage: usageJSON(shape)))"#)
        let failure = event("response.failed", #""response":\#(response(shape, status: "failed", output: [], usage: nil, error: true))"#)
        return script.build(
            closing: closing, failure: failure,
            malformedFrame: "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n",
            malformed: malformed)
    }

    // MARK: Whole

    static func body(_ shape: AnswerShape) -> String {
        var output: [String] = []
        if shape.thinkingTokens > 0 { output.append(reasoningItem(shape)) }
        if let tool = shape.toolCall { output.append(functionItem(shape, tool: tool)) } else { output.append(messageItem(shape)) }
        return response(shape, status: shape.truncated ? "incomplete" : "completed", output: output, usage: usageJSON(shape))
    }

    // MARK: Parts

    /// The Response object, with OpenAI's defaults for the request fields it repeats.
    static func response(_ shape: AnswerShape, status: String, output: [String], usage: String?, error: Bool = false) -> String {
        let incomplete = status == "incomplete" ? #"{"reason":"max_output_tokens"}"# : "null"
        let errorJSON = error ? #"{"code":"server_error","message":"The server had an error while processing your request. Sorry about that!"}"# : "null"
        let reasoning = shape.thinkingTokens > 0 ? #"{"effort":"medium","summary":"auto"}"# : #"{"effort":null,"summary":null}"#
        return #"{"id":"\#(shape.id)","object":"response","created_at":\#(shape.created),"status":"\#(status)","background":false,"error":\#(errorJSON),"incomplete_details":\#(incomplete),"instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":\#(SimulatedText.quoted(shape.model)),"output":[\#(output.joined(separator: ","))],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":\#(reasoning),"service_tier":"default","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":\#(usage ?? "null"),"user":null,"metadata":{}}"#
    }

    static func usageJSON(_ shape: AnswerShape) -> String {
        let output = shape.outputTokens
        return #"{"input_tokens":\#(shape.promptTokens),"input_tokens_details":{"cached_tokens":\#(shape.cachedTokens)},"output_tokens":\#(output),"output_tokens_details":{"reasoning_tokens":\#(shape.thinkingTokens)},"total_tokens":\#(shape.promptTokens + output)}"#
    }

    private static func messageItem(_ shape: AnswerShape) -> String {
        #"{"id":"\#(messageID(shape))","type":"message","status":"\#(shape.truncated ? "incomplete" : "completed")","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":\#(SimulatedText.quoted(SimulatedText.answer(shape.textTokens)))}],"role":"assistant"}"#
    }

    private static func functionItem(_ shape: AnswerShape, tool: String) -> String {
        #"{"id":"\#(functionID(shape))","type":"function_call","status":"completed","arguments":\#(SimulatedText.quoted(SimulatedText.toolArgumentsJSON)),"call_id":"\#(callID(shape))","name":\#(SimulatedText.quoted(tool))}"#
    }

    private static func reasoningItem(_ shape: AnswerShape) -> String {
        #"{"id":"\#(reasoningID(shape))","type":"reasoning","summary":[{"type":"summary_text","text":\#(SimulatedText.quoted(SimulatedText.thinking(shape.thinkingTokens)))}]}"#
    }

    private static func messageID(_ shape: AnswerShape) -> String { "msg_sim\(shape.sequence)" }
    private static func functionID(_ shape: AnswerShape) -> String { "fc_sim\(shape.sequence)" }
    private static func reasoningID(_ shape: AnswerShape) -> String { "rs_sim\(shape.sequence)" }
    private static func callID(_ shape: AnswerShape) -> String { "call_sim\(shape.sequence)" }
}
