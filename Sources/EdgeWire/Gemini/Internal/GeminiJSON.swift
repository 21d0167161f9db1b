import EdgeJSON
import NIOCore

/// Small pieces of Gemini JSON shared by the request writer, the stream encoder and the answer assembler.
enum GeminiJSON {
    /// Whether `bytes` are exactly one JSON object (surrounding whitespace allowed).
    static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            do {
                guard try scanner.peekKind() == .object else { return false }
                try scanner.skipValue()
                try scanner.finish()
                return true
            } catch {
                return false
            }
        }
    }

    /// Gemini's `finishReason` for a neutral reason. A call to a function ends with `STOP` in Gemini: its clients
    /// find the calls in the parts.
    static func finishReason(for reason: String) -> StaticString {
        switch reason {
        case FinishReason.length: "MAX_TOKENS"
        case FinishReason.contentFilter: "SAFETY"
        default: "STOP"
        }
    }

    /// The neutral reason for Gemini's `finishReason`; `madeCalls` turns `STOP` into `tool_calls`, as OpenAI
    /// clients expect when the answer is function calls.
    static func neutralReason(for reason: String, madeCalls: Bool) -> String {
        switch reason {
        case "MAX_TOKENS": FinishReason.length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
            FinishReason.contentFilter
        default: madeCalls ? FinishReason.toolCalls : FinishReason.stop
        }
    }

    /// `"usageMetadata":{...}` (with its key), in Gemini's terms: candidates exclude thoughts, which are counted
    /// apart; the cache and thought counts only when there are some, as Gemini writes them.
    static func writeUsage(_ usage: TokenUsage, into out: inout ByteBuffer) {
        out.writeStaticString(#""usageMetadata":{"promptTokenCount":"#)
        out.writeJSONInteger(usage.promptTokens)
        out.writeStaticString(#","candidatesTokenCount":"#)
        let (visible, overflow) = usage.completionTokens.subtractingReportingOverflow(usage.reasoningTokens)
        out.writeJSONInteger(overflow ? 0 : max(0, visible))
        out.writeStaticString(#","totalTokenCount":"#)
        out.writeJSONInteger(usage.totalTokens)
        if usage.cacheReadTokens > 0 {
            out.writeStaticString(#","cachedContentTokenCount":"#)
            out.writeJSONInteger(usage.cacheReadTokens)
        }
        if usage.reasoningTokens > 0 {
            out.writeStaticString(#","thoughtsTokenCount":"#)
            out.writeJSONInteger(usage.reasoningTokens)
        }
        out.writeStaticString("}")
    }

    /// A `functionCall` part: `args` are the call's arguments when they are a JSON object, else `{}` (a call whose
    /// arguments were cut off cannot be sent as half an object).
    static func writeFunctionCall(id: String, name: String, arguments: String, into out: inout ByteBuffer) {
        out.writeStaticString(#"{"functionCall":{"#)
        if !id.isEmpty {
            out.writeStaticString(#""id":"#)
            out.writeJSONString(id)
            out.writeStaticString(",")
        }
        out.writeStaticString(#""name":"#)
        out.writeJSONString(name)
        out.writeStaticString(#","args":"#)
        if isObject(Array(arguments.utf8)) { out.writeString(arguments) } else { out.writeStaticString("{}") }
        out.writeStaticString("}}")
    }

    /// A text part; a thought when `thought`.
    static func writeTextPart(_ text: String, thought: Bool, into out: inout ByteBuffer) {
        out.writeStaticString(#"{"text":"#)
        out.writeJSONString(text)
        out.writeStaticString(thought ? #","thought":true}"# : "}")
    }
}
