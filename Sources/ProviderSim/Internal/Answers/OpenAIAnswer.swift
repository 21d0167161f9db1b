/// OpenAI answers that use the options the fast path does not (`n`, `logprobs`, `reasoning_effort`, the tool
/// rule, cached prompt tokens, an in-stream error): streamed as a ``ScriptedFrames``, or whole.
enum OpenAIAnswer {
    // MARK: Streamed

    static func stream(_ shape: AnswerShape, malformed: [Bool]) -> ScriptedFrames {
        var script = ScriptBuilder()
        let usageNull = shape.includeUsage ? #","usage":null"# : ""
        let head = #"data: {"id":"\#(shape.id)","object":"chat.completion.chunk","created":\#(shape.created),"model":"\#(OpenAIWire.escape(shape.model))","choices":[{"index":"#
        func frame(_ choice: Int, _ delta: String, logprobs: String = "null", finish: String = "null") -> String {
            head + "\(choice)" + #","delta":\#(delta),"logprobs":\#(logprobs),"finish_reason":\#(finish)}]\#(usageNull)}"# + "\n\n"
        }
        func allChoices(_ body: (Int) -> String) -> String { (0..<shape.choices).map(body).joined() }

        let role = allChoices { frame($0, #"{"role":"assistant","content":""}"#) }
        if shape.preambleWithHead { script.open(role) } else { script.lead(role) }
        for index in 0..<shape.thinkingTokens {
            let delta = #"{"reasoning_content":\#(SimulatedText.quoted(SimulatedText.thought(index)))}"#
            script.unit(allChoices { frame($0, delta) })
        }
        if let tool = shape.toolCall {
            script.lead(allChoices {
                frame($0, #"{"tool_calls":[{"index":0,"id":"call_sim\#(shape.sequence)_\#($0)","type":"function","function":{"name":\#(SimulatedText.quoted(tool)),"arguments":""}}]}"#)
            })
            for fragment in SimulatedText.toolArguments {
                let delta = #"{"tool_calls":[{"index":0,"function":{"arguments":\#(SimulatedText.quoted(fragment))}}]}"#
                script.unit(allChoices { frame($0, delta) })
            }
        } else {
            for index in 0..<shape.textTokens {
                let word = SimulatedText.word(index)
                let delta = #"{"content":\#(SimulatedText.quoted(word))}"#
                let logprobs = shape.logprobs ? logprobsJSON([word]) : "null"
                script.unit(allChoices { frame($0, delta, logprobs: logprobs) })
            }
        }
        var closing = allChoices { frame($0, "{}", finish: SimulatedText.quoted(finishReason(shape))) }
        if shape.includeUsage {
            closing += #"data: {"id":"\#(shape.id)","object":"chat.completion.chunk","created":\#(shape.created),"model":"\#(OpenAIWire.escape(shape.model))","choices":[],"usage":\#(usageJSON(shape))}"# + "\n\n"
        }
        closing += "data: [DONE]\n\n"
        return script.build(
            closing: closing, failure: "data: " + streamError + "\n\n",
            malformedFrame: "data: {\"id\":\"broken\",\"choices\":[{\"delta\":{\"content\":\n\n", malformed: malformed)
    }

    /// The error frame sent after HTTP 200 (`stream_error_after_tokens`).
    static let streamError =
        #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#

    // MARK: Whole

    static func body(_ shape: AnswerShape) -> String {
        let message: String
        if let tool = shape.toolCall {
            message = #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_sim\#(shape.sequence)_CHOICE","type":"function","function":{"name":\#(SimulatedText.quoted(tool)),"arguments":\#(SimulatedText.quoted(SimulatedText.toolArgumentsJSON))}}]"#
        } else {
            message = #"{"role":"assistant","content":\#(SimulatedText.quoted(SimulatedText.answer(shape.textTokens)))"#
        }
        let reasoning =
            shape.thinkingTokens > 0 ? #","reasoning_content":\#(SimulatedText.quoted(SimulatedText.thinking(shape.thinkingTokens)))"# : ""
        let logprobs =
            shape.logprobs && shape.toolCall == nil
            ? logprobsJSON((0..<shape.textTokens).map(SimulatedText.word)) : "null"
        let choices = (0..<shape.choices).map { choice in
            let thisMessage = message.replacingOccurrences(of: "_CHOICE", with: "_\(choice)")
            return #"{"index":\#(choice),"message":\#(thisMessage)\#(reasoning)},"logprobs":\#(logprobs),"finish_reason":\#(SimulatedText.quoted(finishReason(shape)))}"#
        }.joined(separator: ",")
        return #"{"id":"\#(shape.id)","object":"chat.completion","created":\#(shape.created),"model":"\#(OpenAIWire.escape(shape.model))","choices":[\#(choices)],"usage":\#(usageJSON(shape))}"#
    }

    // MARK: Parts

    static func finishReason(_ shape: AnswerShape) -> String { shape.toolCall == nil ? "stop" : "tool_calls" }

    /// Usage over every choice; the details only when there is something to detail (cached or reasoning tokens).
    static func usageJSON(_ shape: AnswerShape) -> String {
        let completion = shape.outputTokens * shape.choices
        var usage = #"{"prompt_tokens":\#(shape.promptTokens),"completion_tokens":\#(completion),"total_tokens":\#(shape.promptTokens + completion)"#
        if shape.cachedTokens > 0 || shape.thinkingTokens > 0 {
            usage += #","prompt_tokens_details":{"cached_tokens":\#(shape.cachedTokens)},"completion_tokens_details":{"reasoning_tokens":\#(shape.thinkingTokens * shape.choices)}"#
        }
        return usage + "}"
    }

    /// `{"content":[{"token","logprob","bytes","top_logprobs":[]}],"refusal":null}` for `tokens`; the log
    /// probabilities are fixed made-up values.
    static func logprobsJSON(_ tokens: [String]) -> String {
        let entries = tokens.enumerated().map { index, token in
            let logprob = -0.01 * Double(index % 7 + 1)
            return #"{"token":\#(SimulatedText.quoted(token)),"logprob":\#(logprob),"bytes":[\#(token.utf8.map(String.init).joined(separator: ","))],"top_logprobs":[]}"#
        }
        return #"{"content":[\#(entries.joined(separator: ","))],"refusal":null}"#
    }
}
