/// How a chat request becomes the `input` object of a Cog prediction, for one deployment (its `input` and
/// `chat_template` keys). The rendering itself is EdgeWire's (`CogRequestWriter`); this is the configuration.
public struct CogInput: Sendable, Equatable {
    /// The input's fields, in configured order.
    public var fields: [CogInputField]
    /// The name of the chat template that renders the conversation into `{{prompt}}` (`plain`, `chatml`,
    /// `llama3`).
    public var chatTemplate: String

    /// The input of a predictor that takes `prompt`, `system_prompt` and `max_tokens`, as most Cog language models
    /// do.
    public static let standard = CogInput(
        fields: [
            CogInputField(name: "prompt", value: .template("{{prompt}}")),
            CogInputField(name: "system_prompt", value: .template("{{system}}")),
            CogInputField(name: "max_tokens", value: .template("{{max_tokens}}")),
        ], chatTemplate: "plain")

    public init(fields: [CogInputField], chatTemplate: String = "plain") {
        self.fields = fields
        self.chatTemplate = chatTemplate
    }
}

/// One field of a Cog input template.
public struct CogInputField: Sendable, Equatable {
    /// What the field holds.
    public enum Value: Sendable, Equatable {
        /// Text with `{{placeholders}}`. A value that is exactly one placeholder takes the placeholder's own JSON
        /// type (a number for `{{max_tokens}}`) and is left out when the request has no value for it.
        case template(String)
        /// A fixed JSON value (a number or boolean in the YAML), sent as written.
        case literal(String)
    }

    /// The input's key, as the predictor names its argument.
    public var name: String
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }
}
