/// Google Gemini answers: `GenerateContentResponse` frames, streamed as server-sent events (`alt=sse`, no
/// `[DONE]`) or as one JSON array sent piece by piece, or one whole response.
enum GeminiAnswer {
    // MARK: Streamed

    /// - Parameter sse: `alt=sse` framing (`data: {...}\r\n\r\n`); otherwise a JSON array `[{...},\r\n{...}]`.
    static func stream(_ shape: AnswerShape, sse: Bool, malformed: [Bool]) -> ScriptedFrames {
        var script = ScriptBuilder()
        var parts: [String] = []
        for index in 0..<shape.thinkingTokens {
            parts.append(#"{"text":\#(SimulatedText.quoted(SimulatedText.thought(index))),"thought":true}"#)
        }
        if let tool = shape.toolCall {
            parts.append(functionCall(tool))
        } else {
            for index in 0..<shape.textTokens {
                parts.append(#"{"text":\#(SimulatedText.quoted(SimulatedText.word(index)))}"#)
            }
        }
        // The frame that reports the finish: the last part's, or one with an empty text when there is none.
        let last = parts.isEmpty ? -1 : parts.count - 1
        for (index, part) in parts.enumerated() {
            // Usage so far: thoughts first, then the answer (a function call counts whole).
            let thoughts = min(index + 1, shape.thinkingTokens)
            let said =
                index < shape.thinkingTokens
                ? 0 : shape.toolCall == nil ? index - shape.thinkingTokens + 1 : SimulatedText.toolArguments.count
            let response = frame(shape, parts: part, final: index == last, candidates: said, thoughts: thoughts)
            script.unit(separator(sse: sse, first: index == 0) + response + terminator(sse: sse))
        }
        var closing = ""
        if last < 0 {
            closing = separator(sse: sse, first: true)
                + frame(shape, parts: #"{"text":""}"#, final: true, candidates: 0, thoughts: 0) + terminator(sse: sse)
        }
        if !sse { closing += "]" }
        let failFirst = (shape.failAfterUnits ?? 0) == 0
        var failure = separator(sse: sse, first: failFirst) + streamError + terminator(sse: sse)
        if !sse { failure += "]" }
        let malformedFrame = separator(sse: sse, first: false) + #"{"candidates":[{"content":{"parts":[{"text":"# + "\r\n\r\n"
        return script.build(
            closing: closing, failure: failure, malformedFrame: malformedFrame, malformed: malformed,
            contentType: sse ? "text/event-stream" : "application/json")
    }

    /// The error frame sent after HTTP 200 (`stream_error_after_tokens`).
    static let streamError = #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#

    // MARK: Whole

    static func body(_ shape: AnswerShape) -> String {
        var parts: [String] = []
        if shape.thinkingTokens > 0 {
            parts.append(#"{"text":\#(SimulatedText.quoted(SimulatedText.thinking(shape.thinkingTokens))),"thought":true}"#)
        }
        if let tool = shape.toolCall {
            parts.append(functionCall(tool))
        } else {
            parts.append(#"{"text":\#(SimulatedText.quoted(SimulatedText.answer(shape.textTokens)))}"#)
        }
        return frame(
            shape, parts: parts.joined(separator: ","), final: true, candidates: shape.outputTokens - shape.thinkingTokens,
            thoughts: shape.thinkingTokens)
    }

    // MARK: Parts

    /// `{"error":{"code","message","status"}}` with Google's status name for `code`.
    static func error(code: Int, message: String) -> String {
        #"{"error":{"code":\#(code),"message":\#(SimulatedText.quoted(message)),"status":"\#(status(code))"}}"#
    }

    /// Google's canonical status name for an HTTP status.
    static func status(_ code: Int) -> String {
        switch code {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "NOT_IMPLEMENTED"
        case 503: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        case 500...: "INTERNAL"
        default: "FAILED_PRECONDITION"
        }
    }

    private static func functionCall(_ tool: String) -> String {
        #"{"functionCall":{"name":\#(SimulatedText.quoted(tool)),"args":\#(SimulatedText.toolArgumentsJSON)}}"#
    }

    /// One `GenerateContentResponse`: every candidate has the same `parts`; the final one has the finish reason
    /// and the whole usage, cached and thought tokens included.
    private static func frame(_ shape: AnswerShape, parts: String, final: Bool, candidates: Int, thoughts: Int) -> String {
        let finish = final ? #","finishReason":"\#(shape.truncated ? "MAX_TOKENS" : "STOP")""# : ""
        let list = (0..<shape.choices).map { index in
            #"{"content":{"parts":[\#(parts)],"role":"model"}\#(finish),"index":\#(index)}"#
        }.joined(separator: ",")
        let said = candidates * shape.choices
        let thought = thoughts * shape.choices
        var usage = #"{"promptTokenCount":\#(shape.promptTokens),"candidatesTokenCount":\#(said),"totalTokenCount":\#(shape.promptTokens + said + thought)"#
        if final, shape.cachedTokens > 0 { usage += #","cachedContentTokenCount":\#(shape.cachedTokens)"# }
        if thought > 0 { usage += #","thoughtsTokenCount":\#(thought)"# }
        usage += "}"
        return #"{"candidates":[\#(list)],"usageMetadata":\#(usage),"modelVersion":\#(SimulatedText.quoted(shape.model)),"responseId":"\#(shape.id)"}"#
    }

    private static func separator(sse: Bool, first: Bool) -> String { sse ? "data: " : first ? "[" : ",\r\n" }

    private static func terminator(sse: Bool) -> String { sse ? "\r\n\r\n" : "" }
}
