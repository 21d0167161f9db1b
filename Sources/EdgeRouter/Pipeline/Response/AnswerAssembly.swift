import EdgeWire
import NIOCore

/// The non-streaming answer being assembled, by the client dialect's assembler: one enum rather than an
/// existential, so the OpenAI assembler can also take its provider's raw chunks, and an assembler is mutated in
/// place (never copied on write) frame after frame.
enum AnswerAssembly: Sendable {
    case openAI(OpenAICompletionAssembler)
    case anthropic(AnthropicMessageAssembler)
    case gemini(GeminiResponseAssembler)
    /// A Responses API answer (never passed through: its events are all it takes).
    case responses(ResponsesAssembler)

    /// The assembler for `endpoint`. A Responses answer's identity is known once it starts: the writer then puts
    /// its assembler in place; until then it has a placeholder one.
    init(for endpoint: ChatEndpoint) {
        switch endpoint {
        case .openAI: self = .openAI(OpenAICompletionAssembler())
        case .anthropic: self = .anthropic(AnthropicMessageAssembler())
        case .gemini: self = .gemini(GeminiResponseAssembler())
        case .responses:
            self = .responses(ResponsesAssembler(identity: ResponsesIdentity(responseID: "", itemBase: "", model: "", createdAt: 0)))
        }
    }

    /// Takes a frame's events; `passThrough` says the provider speaks the client's dialect, whose frames then also
    /// give what the events do not hold (OpenAI's `logprobs`, `system_fingerprint`, …; Anthropic's `stop_sequence`
    /// and whole `usage`; Gemini's safety ratings, citations and whole `usageMetadata`).
    mutating func consume(_ frame: UpstreamFrame, passThrough: Bool) {
        switch self {
        case .openAI(var assembler):
            self = .gemini(GeminiResponseAssembler())  // lets go of the assembler, so it is not copied on write
            for event in frame.events { assembler.consume(event) }
            if passThrough { assembler.consumeProviderChunk(frame.payload) }
            self = .openAI(assembler)
        case .anthropic(var assembler):
            self = .openAI(OpenAICompletionAssembler())
            for event in frame.events { assembler.consume(event) }
            if passThrough, frame.eventType == "message_start" || frame.eventType == "message_delta" {
                assembler.consumeProviderEvent(frame.payload)
            }
            self = .anthropic(assembler)
        case .gemini(var assembler):
            self = .openAI(OpenAICompletionAssembler())
            for event in frame.events { assembler.consume(event) }
            if passThrough { assembler.consumeProviderFrame(frame.payload) }
            self = .gemini(assembler)
        case .responses(var assembler):
            self = .openAI(OpenAICompletionAssembler())
            for event in frame.events { assembler.consume(event) }
            self = .responses(assembler)
        }
    }

    var assembledBytes: Int {
        switch self {
        case .openAI(let assembler): assembler.assembledBytes
        case .anthropic(let assembler): assembler.assembledBytes
        case .gemini(let assembler): assembler.assembledBytes
        case .responses(let assembler): assembler.assembledBytes
        }
    }

    func answerJSON(fallbackModel: String, fallbackID: String) -> ByteBuffer {
        switch self {
        case .openAI(let assembler): assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: fallbackID)
        case .anthropic(let assembler): assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: fallbackID)
        case .gemini(let assembler): assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: fallbackID)
        case .responses(let assembler): assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: fallbackID)
        }
    }
}
