import EdgeWire
import RoutingCore

/// The stream decoder of a provider's dialect: one enum rather than an existential, so the OpenAI path pays a
/// switch and no dynamic dispatch or boxing per frame.
enum DialectStreamDecoder {
    case openai(OpenAIStreamDecoder)
    case responses(ResponsesStreamDecoder)
    case anthropic(AnthropicStreamDecoder)
    case gemini(GeminiStreamDecoder)
    case cog(CogStreamDecoder)

    /// A decoder at the start of a stream in `dialect`.
    init(_ dialect: Dialect) {
        switch dialect {
        case .openai: self = .openai(OpenAIStreamDecoder())
        case .openaiResponses: self = .responses(ResponsesStreamDecoder())
        case .anthropic: self = .anthropic(AnthropicStreamDecoder())
        case .gemini: self = .gemini(GeminiStreamDecoder())
        case .cog: self = .cog(CogStreamDecoder())
        }
    }

    mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> StreamDecoded {
        switch self {
        case .openai(var decoder):
            defer { self = .openai(decoder) }
            return try decoder.decode(event)
        case .responses(var decoder):
            // The enum lets go of its copy first, so the decoder's state is not copied on write.
            self = .openai(OpenAIStreamDecoder())
            defer { self = .responses(decoder) }
            return try decoder.decode(event)
        case .anthropic(var decoder):
            // The enum lets go of its copy first, so the decoder's state is not copied on write.
            self = .openai(OpenAIStreamDecoder())
            defer { self = .anthropic(decoder) }
            return try decoder.decode(event)
        case .gemini(var decoder):
            // The enum lets go of its copy first, so the decoder's state is not copied on write.
            self = .openai(OpenAIStreamDecoder())
            defer { self = .gemini(decoder) }
            return try decoder.decode(event)
        case .cog(var decoder):
            defer { self = .cog(decoder) }
            return try decoder.decode(event)
        }
    }

    /// Whether a stream that closes now has given a complete answer.
    var isAnswerFinished: Bool {
        switch self {
        case .openai(let decoder): decoder.isAnswerFinished
        case .responses(let decoder): decoder.isAnswerFinished
        case .anthropic(let decoder): decoder.isAnswerFinished
        case .gemini(let decoder): decoder.isAnswerFinished
        case .cog(let decoder): decoder.isAnswerFinished
        }
    }
}
