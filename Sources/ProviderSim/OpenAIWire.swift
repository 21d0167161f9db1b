import Foundation

/// Builds the OpenAI wire format the simulator sends. Written by hand, not with the router's own code, so a
/// bug in the router's encoder or decoder cannot be mirrored here and hidden.
enum OpenAIWire {
    static let words = [
        "The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".", " Edge", " routing",
        " picks", " the", " fastest", " provider",
    ]

    static func token(_ index: Int) -> String { words[index % words.count] }

    static func chunk(id: String, model: String, created: Int, delta: String, finishReason: String? = nil, includeUsageNull: Bool) -> String {
        let finish = finishReason.map { "\"\($0)\"" } ?? "null"
        let usage = includeUsageNull ? ",\"usage\":null" : ""
        return #"{"id":"\#(id)","object":"chat.completion.chunk","created":\#(created),"model":"\#(escape(model))","choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)}]\#(usage)}"#
    }

    static func usageChunk(id: String, model: String, created: Int, prompt: Int, completion: Int) -> String {
        #"{"id":"\#(id)","object":"chat.completion.chunk","created":\#(created),"model":"\#(escape(model))","choices":[],"usage":{"prompt_tokens":\#(prompt),"completion_tokens":\#(completion),"total_tokens":\#(prompt + completion)}}"#
    }

    static func completion(id: String, model: String, created: Int, content: String, prompt: Int, completion: Int) -> String {
        #"{"id":"\#(id)","object":"chat.completion","created":\#(created),"model":"\#(escape(model))","choices":[{"index":0,"message":{"role":"assistant","content":"\#(escape(content))"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(prompt),"completion_tokens":\#(completion),"total_tokens":\#(prompt + completion)}}"#
    }

    static func error(status: Int, message: String) -> String {
        let type = status == 429 ? "rate_limit_error" : status == 401 ? "authentication_error" : status < 500 ? "invalid_request_error" : "server_error"
        return #"{"error":{"message":"\#(escape(message))","type":"\#(type)","param":null,"code":null}}"#
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
