import EdgeWire
import NIOCore

/// The non-streaming answer being assembled, by the client dialect's assembler: one enum rather than an
/// existential, so the OpenAI assembler can also take its provider's raw chunks, and an assembler is mutated in
/// place (never copied on write) frame after frame.
enum AnswerAssembly {
    case openAI(OpenAICompletionAssembler)
    case anthropic(AnthropicMessageAssembler)
    case gemini(GeminiResponseAssembler)

    init(for endpoint: ChatEndpoint) {
        switch endpoint {
        case .openAI: self = .openAI(OpenAICompletionAssembler())
        case .anthropic: self = .anthropic(AnthropicMessageAssembler())
        case .gemini: self = .gemini(GeminiResponseAssembler())
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
        }
    }

    var assembledBytes: Int {
        switch self {
        case .openAI(let assembler): assembler.assembledBytes
        case .anthropic(let assembler): assembler.assembledBytes
        case .gemini(let assembler): assembler.assembledBytes
        }
    }

    func answerJSON(fallbackModel: String, fallbackID: String) -> ByteBuffer {
        switch self {
        case .openAI(let assembler): assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: fallbackID)
        case .anthropic(let assembler): assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: fallbackID)
        case .gemini(let assembler): assembler.answerJSON(fallbackModel: fallbackModel, fallbackID: fallbackID)
        }
    }
}
