/// A checked OpenAI Responses API request (`POST /v1/responses`): what the router needs beyond the neutral
/// ``ChatRequest`` it is answered through.
///
/// Every provider dialect answers it through the neutral form: ``chat`` holds the instructions as the system
/// prompt, the input items as messages, the function tools and the sampling settings. The conversation of a
/// `previous_response_id` is not in ``chat``: the router holds stored responses and puts their conversation in
/// front (``prepending(history:)``).
public struct ResponsesRequest: Sendable, Equatable {
    /// The request in neutral form (without the conversation of ``previousResponseID``).
    public var chat: ChatRequest
    /// Whether the answer is kept for `GET /v1/responses/{id}` and later `previous_response_id`s (default true,
    /// as OpenAI has it).
    public var store: Bool
    /// The response whose conversation this one continues.
    public var previousResponseID: String?
    /// The request's own fields as a response object repeats them (`instructions`, `tools`, `temperature`, …).
    public var echo: ResponsesEcho

    public init(chat: ChatRequest, store: Bool = true, previousResponseID: String? = nil, echo: ResponsesEcho = ResponsesEcho()) {
        self.chat = chat
        self.store = store
        self.previousResponseID = previousResponseID
        self.echo = echo
    }

    /// The neutral request with `history` (an earlier response's whole conversation, its output included) before
    /// this request's input. Tool results that answer calls made in `history` get the call's tool name (Gemini
    /// needs it; Responses input items name only the call).
    public func prepending(history: [ChatMessage]) -> ChatRequest {
        var request = chat
        request.messages = history + chat.messages
        request.messages = ResponsesRequestReader.namingToolResults(request.messages)
        return request
    }
}

/// The request fields a Responses object repeats, kept as the client wrote them.
public struct ResponsesEcho: Sendable, Equatable {
    public var instructions: String?
    public var maxOutputTokens: Int?
    public var temperature: JSONNumber?
    public var topP: JSONNumber?
    /// The `tools` array as sent (function tools only; anything else was refused).
    public var tools: RawJSON?
    /// `tool_choice` as sent; `"auto"` when absent.
    public var toolChoice: RawJSON?
    public var parallelToolCalls: Bool?
    /// `metadata` as sent.
    public var metadata: RawJSON?
    /// `text` as sent (its `format`).
    public var text: RawJSON?
    /// `reasoning.effort`.
    public var reasoningEffort: String?
    /// `user`, OpenAI's end-user hint: repeated, never sent on.
    public var user: String?

    public init() {}
}
