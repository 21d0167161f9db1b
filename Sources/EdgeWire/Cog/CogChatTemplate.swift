/// How a conversation becomes the one `prompt` string a Cog language model takes (`chat_template`).
///
/// - `plain`: one turn a line, `User: …` and `Assistant: …`, ending with `Assistant:` for the model to go on.
/// - `chatml`: `<|im_start|>user\n…<|im_end|>\n` turns, ending with `<|im_start|>assistant\n` (Qwen, many
///   fine-tunes).
/// - `llama3`: `<|start_header_id|>user<|end_header_id|>\n\n…<|eot_id|>` turns after `<|begin_of_text|>`, ending
///   with the assistant's header.
///
/// The system prompt is rendered as the template's first turn (`System: …` for `plain`) only when the input
/// template has no `{{system}}` of its own: a predictor with a `system_prompt` argument gets it there instead.
public enum CogChatTemplate: String, Sendable, CaseIterable {
    case plain
    case chatml
    case llama3

    /// The conversation as one prompt. `messages` are (role, text) turns, oldest first; `system` is empty when the
    /// system prompt goes elsewhere.
    public func render(system: String, messages: [(role: ChatMessage.Role, text: String)]) -> String {
        var out = ""
        switch self {
        case .plain:
            if !system.isEmpty { out += "System: \(system)\n" }
            for message in messages {
                out += (message.role == .user ? "User: " : "Assistant: ") + message.text + "\n"
            }
            out += "Assistant:"
        case .chatml:
            if !system.isEmpty { out += "<|im_start|>system\n\(system)<|im_end|>\n" }
            for message in messages {
                out += "<|im_start|>\(message.role.rawValue)\n\(message.text)<|im_end|>\n"
            }
            out += "<|im_start|>assistant\n"
        case .llama3:
            out += "<|begin_of_text|>"
            if !system.isEmpty { out += "<|start_header_id|>system<|end_header_id|>\n\n\(system)<|eot_id|>" }
            for message in messages {
                out += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n\(message.text)<|eot_id|>"
            }
            out += "<|start_header_id|>assistant<|end_header_id|>\n\n"
        }
        return out
    }
}
