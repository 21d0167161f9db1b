import NIOCore

/// The simulator's embeddings: a deterministic unit vector per input text (the same text gives the same vector
/// in every dialect and on every simulator, so tests can compare answers across providers), and the answer bodies.
enum EmbeddingAnswer {
    /// The vector length when the request asks for none.
    static let defaultDimensions = 8
    /// The longest vector the simulator makes: a request asking for more gets this many.
    static let maximumDimensions = 4096

    /// A unit vector of `dimensions` values seeded by `text`'s FNV-1a hash.
    static func vector(for text: String, dimensions: Int) -> [Float] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        var random = SeededRandom(seed: hash)
        let count = min(max(dimensions, 1), maximumDimensions)
        let raw = (0..<count).map { _ in Float(random.unit() * 2 - 1) }
        let norm = raw.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? raw.map { $0 / norm } : raw
    }

    /// OpenAI's answer (floats), with `usage` counting 4 bytes of text per token.
    static func openAI(_ request: SimulatedEmbeddingRequest) -> String {
        let dimensions = request.dimensions ?? defaultDimensions
        let data = request.texts.enumerated().map { index, text in
            #"{"object":"embedding","index":\#(index),"embedding":\#(values(vector(for: text, dimensions: dimensions)))}"#
        }
        let tokens = request.texts.reduce(0) { $0 + max(1, $1.utf8.count / 4) }
        return #"{"object":"list","data":[\#(data.joined(separator: ","))],"model":"\#(OpenAIWire.escape(request.model))","usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#
    }

    /// Gemini's answer: `embeddings` for a batch, one `embedding` otherwise (Gemini reports no usage).
    static func gemini(_ request: SimulatedEmbeddingRequest, batch: Bool) -> String {
        let dimensions = request.dimensions ?? defaultDimensions
        let items = request.texts.map { #"{"values":\#(values(vector(for: $0, dimensions: dimensions)))}"# }
        return batch ? #"{"embeddings":[\#(items.joined(separator: ","))]}"# : #"{"embedding":\#(items.first ?? "{}")}"#
    }

    private static func values(_ vector: [Float]) -> String {
        "[" + vector.map(\.description).joined(separator: ",") + "]"
    }
}
