import Foundation

/// Builds the single `chat.completion` object a non-streaming client expects from the events of a stream:
/// the router always streams from the provider, so it can measure the first token and fail over before it.
struct OpenAICompletionAssembler {
    private struct ChoiceState {
        var role = "assistant"
        var content = ""
        var reasoning = ""
        var hasContent = false
        var toolCalls: [Int: (id: String, name: String, arguments: String)] = [:]
        var finishReason: String?
    }

    private var id = ""
    private var model = ""
    private var created = 0
    private var choices: [Int: ChoiceState] = [:]
    private(set) var usage: TokenUsage?

    mutating func consume(_ event: StreamEvent) {
        switch event {
        case .start(let id, let model, let created):
            self.id = id
            self.model = model
            self.created = created
        case .role(let choice, let role):
            choices[choice, default: .init()].role = role
        case .text(let choice, let text):
            choices[choice, default: .init()].content += text
            choices[choice, default: .init()].hasContent = true
        case .reasoning(let choice, let text):
            choices[choice, default: .init()].reasoning += text
        case .toolCall(let choice, let index, let id, let name, let arguments):
            var call = choices[choice, default: .init()].toolCalls[index] ?? ("", "", "")
            if let id, !id.isEmpty { call.id = id }
            if let name, !name.isEmpty { call.name += name }
            call.arguments += arguments
            choices[choice, default: .init()].toolCalls[index] = call
        case .usage(let usage):
            self.usage = usage
        case .finish(let choice, let reason):
            choices[choice, default: .init()].finishReason = reason
        case .error:
            break
        }
    }

    /// The assembled `chat.completion` JSON; `fallbackModel` names the model when the provider sent none.
    func completionJSON(fallbackModel: String, fallbackID: String) -> [UInt8] {
        let orderedChoices = choices.keys.sorted().map { index -> [String: Any] in
            let state = choices[index]!
            var message: [String: Any] = [
                "role": state.role,
                "content": state.hasContent || state.toolCalls.isEmpty ? state.content : NSNull(),
            ]
            if !state.reasoning.isEmpty { message["reasoning_content"] = state.reasoning }
            if !state.toolCalls.isEmpty {
                message["tool_calls"] = state.toolCalls.keys.sorted().map { key -> [String: Any] in
                    let call = state.toolCalls[key]!
                    return ["id": call.id, "type": "function", "function": ["name": call.name, "arguments": call.arguments]]
                }
            }
            return [
                "index": index,
                "message": message,
                "logprobs": NSNull(),
                "finish_reason": state.finishReason.map { $0 as Any } ?? NSNull(),
            ]
        }
        var object: [String: Any] = [
            "id": id.isEmpty ? fallbackID : id,
            "object": "chat.completion",
            "created": created == 0 ? Int(Date().timeIntervalSince1970) : created,
            "model": model.isEmpty ? fallbackModel : model,
            "choices": orderedChoices,
        ]
        if let usage {
            object["usage"] = [
                "prompt_tokens": usage.promptTokens,
                "completion_tokens": usage.completionTokens,
                "total_tokens": usage.totalTokens,
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }
}
