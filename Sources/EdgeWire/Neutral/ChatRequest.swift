/// A chat request in no dialect: what a request is translated through when the client's dialect and the
/// provider's differ. Each dialect reads its requests into this (`…RequestReader`) and writes it out again
/// (`…RequestWriter`); no dialect is ever translated into another directly.
///
/// It holds what every dialect can express in some form. A field a reader finds that has no neutral meaning is
/// listed in ``untranslatable`` (by its path in the client's terms); a writer for another dialect refuses such a
/// request with a ``WireError`` naming the field, rather than dropping it. A neutral field the target cannot
/// express (two choices for Anthropic, an image URL for Gemini) is refused by that target's writer the same way.
public struct ChatRequest: Sendable, Equatable {
    /// The model the client named.
    public var model: String
    /// Whether the client asked for a stream.
    public var stream: Bool
    /// The system prompt's pieces (OpenAI's `system`/`developer` messages, Anthropic's `system`, Gemini's
    /// `systemInstruction`), in order.
    public var system: [String]
    /// The conversation, oldest first.
    public var messages: [ChatMessage]
    /// Tools the model may call.
    public var tools: [ToolDefinition]
    /// Whether and which tool the model must call.
    public var toolChoice: ToolChoice?
    /// Whether the model may call several tools in one turn (OpenAI `parallel_tool_calls`, Anthropic
    /// `disable_parallel_tool_use` inverted).
    public var parallelToolCalls: Bool?
    /// The most tokens to generate.
    public var maxTokens: Int?
    /// Sampling temperature, as the client wrote the number.
    public var temperature: JSONNumber?
    /// Nucleus sampling, as the client wrote the number.
    public var topP: JSONNumber?
    /// Top-k sampling (Anthropic, Gemini).
    public var topK: Int?
    /// Sequences that end generation.
    public var stopSequences: [String]
    /// Plain text, any JSON object, or JSON matching a schema.
    public var responseFormat: ResponseFormat?
    /// Extended thinking / reasoning, when asked for.
    public var reasoning: ReasoningRequest?
    /// How many alternative answers (OpenAI `n`, Gemini `candidateCount`); nil means one.
    public var choiceCount: Int?
    /// Fields of the client's request with no neutral meaning, by their path in the client's terms: a writer for
    /// another dialect refuses the request naming the first.
    public var untranslatable: [String]

    public init(
        model: String, stream: Bool = false, system: [String] = [], messages: [ChatMessage] = [],
        tools: [ToolDefinition] = [], toolChoice: ToolChoice? = nil, parallelToolCalls: Bool? = nil,
        maxTokens: Int? = nil, temperature: JSONNumber? = nil, topP: JSONNumber? = nil, topK: Int? = nil,
        stopSequences: [String] = [], responseFormat: ResponseFormat? = nil, reasoning: ReasoningRequest? = nil,
        choiceCount: Int? = nil, untranslatable: [String] = []
    ) {
        self.model = model
        self.stream = stream
        self.system = system
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.stopSequences = stopSequences
        self.responseFormat = responseFormat
        self.reasoning = reasoning
        self.choiceCount = choiceCount
        self.untranslatable = untranslatable
    }
}

/// One turn of the conversation.
public struct ChatMessage: Sendable, Equatable {
    /// Who speaks. Tool results are parts of a `user` message (as Anthropic has them); OpenAI's `tool` messages
    /// become such parts, and Gemini's `function` role too.
    public enum Role: String, Sendable {
        case user
        case assistant
    }

    public var role: Role
    /// The message's content, in order.
    public var parts: [ChatPart]

    public init(role: Role, parts: [ChatPart]) {
        self.role = role
        self.parts = parts
    }
}

/// A piece of a message.
public enum ChatPart: Sendable, Equatable {
    case text(String)
    case image(ImageSource)
    /// The assistant called a tool; `arguments` is the JSON text of the arguments object.
    case toolCall(id: String, name: String, arguments: String)
    /// The answer to a tool call. `name` is the tool's (Gemini needs it; readers of dialects that give only the
    /// call's id find it in the earlier call). `content` holds text and images.
    case toolResult(id: String, name: String, content: [ChatPart], isError: Bool)
    /// The assistant's reasoning, with Anthropic's signature when it came with one (it must go back unchanged).
    case thinking(text: String, signature: String?)
    /// Anthropic's encrypted reasoning, to be sent back as it came.
    case redactedThinking(data: String)
}

/// Where an image is.
public enum ImageSource: Sendable, Equatable {
    /// Inline bytes, base64-encoded, with their media type (`image/png`).
    case base64(mediaType: String, data: String)
    /// A URL the provider fetches (`https:`; a `data:` URL is read into ``base64(mediaType:data:)``).
    case url(String)
}

/// A tool the model may call.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON Schema of the arguments object, as the client wrote it.
    public var parameters: RawJSON?

    public init(name: String, description: String? = nil, parameters: RawJSON? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// Whether and which tool the model must call.
public enum ToolChoice: Sendable, Equatable {
    /// The model decides (the default when tools are given).
    case auto
    /// No tool call.
    case none
    /// Some tool call (OpenAI `required`, Anthropic `any`, Gemini mode `ANY`).
    case required
    /// This tool.
    case tool(name: String)
}

/// The shape the answer's text must have.
public enum ResponseFormat: Sendable, Equatable {
    case text
    /// Any JSON object.
    case jsonObject
    /// JSON matching `schema`.
    case jsonSchema(name: String, schema: RawJSON, strict: Bool?)
}

/// Extended thinking. Dialects express it differently: OpenAI by an effort (`low`, `medium`, `high`), Anthropic
/// and Gemini by a token budget. Each writer converts what it was given with ``budget`` and ``effort``.
public struct ReasoningRequest: Sendable, Equatable {
    /// `low`, `medium` or `high` (OpenAI `reasoning_effort`).
    public var effort: String?
    /// Tokens the model may think for (Anthropic `thinking.budget_tokens`, Gemini `thinkingBudget`).
    public var budgetTokens: Int?

    public init(effort: String? = nil, budgetTokens: Int? = nil) {
        self.effort = effort
        self.budgetTokens = budgetTokens
    }

    /// The budget, from the effort when none was given: low 1,024, medium 8,192, high 24,576 tokens.
    public var budget: Int? {
        if let budgetTokens { return budgetTokens }
        switch effort {
        case "minimal", "low": return 1_024
        case "medium": return 8_192
        case "high": return 24_576
        default: return nil
        }
    }

    /// The effort, from the budget when none was given: up to 2,048 tokens low, up to 12,288 medium, else high.
    public var level: String? {
        if let effort { return effort }
        guard let budgetTokens else { return nil }
        return budgetTokens <= 2_048 ? "low" : budgetTokens <= 12_288 ? "medium" : "high"
    }
}

/// A JSON value kept as the client wrote it (a schema, a number), to be written out again unchanged.
public struct RawJSON: Sendable, Equatable {
    /// The value's JSON text, valid (it was scanned).
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }
}

/// A JSON number kept as the client wrote it, so `0.7` is not sent on as `0.69999999999999996`.
public typealias JSONNumber = RawJSON
