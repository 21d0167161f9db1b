/// Anthropic's `stop_reason` values and the neutral ``FinishReason`` vocabulary (OpenAI's `finish_reason`).
public enum AnthropicStopReason {
    /// The neutral reason for an Anthropic stop reason. `pause_turn` (a server tool's long turn paused) ends the
    /// answer as a plain stop; a reason newer than this code does too.
    public static func neutral(_ stopReason: String) -> String {
        switch stopReason {
        case "max_tokens", "model_context_window_exceeded": FinishReason.length
        case "tool_use": FinishReason.toolCalls
        case "refusal": FinishReason.contentFilter
        default: FinishReason.stop
        }
    }

    /// The Anthropic stop reason for a neutral one; an unknown neutral reason is `end_turn`.
    public static func anthropic(_ neutral: String) -> String {
        switch neutral {
        case FinishReason.length: "max_tokens"
        case FinishReason.toolCalls: "tool_use"
        case FinishReason.contentFilter: "refusal"
        default: "end_turn"
        }
    }
}
