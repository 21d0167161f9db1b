/// The fields of an OpenAI `chat.completion.chunk` that the router reads. Everything else in the frame is
/// forwarded untouched on the pass-through path and ignored here.
struct OpenAIChunk: Decodable {
    struct Choice: Decodable {
        var index: Int?
        var delta: Delta?
        var finish_reason: String?
    }

    struct Delta: Decodable {
        var role: String?
        var content: String?
        var reasoning_content: String?
        var refusal: String?
        var tool_calls: [ToolCall]?
    }

    struct ToolCall: Decodable {
        struct Function: Decodable {
            var name: String?
            var arguments: String?
        }
        var index: Int?
        var id: String?
        var function: Function?
    }

    struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
    }

    struct ErrorBody: Decodable {
        var message: String?
        var type: String?
    }

    var id: String?
    var model: String?
    var created: Int?
    /// Some OpenAI-compatible servers send `null` here, or put `usage` on a chunk whose choices are not empty.
    var choices: [Choice]?
    var usage: Usage?
    var error: ErrorBody?
}
