/// An embeddings request in no dialect: what OpenAI's `POST /v1/embeddings` and Gemini's `:embedContent` /
/// `:batchEmbedContents` are read into (``OpenAIEmbeddingReader``, ``GeminiEmbeddingReader``) and written out of
/// again for a provider of either dialect (``EmbeddingRequestWriter``).
///
/// As for chat, nothing is dropped in translation: what one dialect cannot carry (token-id inputs for Gemini,
/// Gemini's `taskType` or `title` for OpenAI, an OpenAI field the router does not know for Gemini) makes that
/// dialect's writer refuse the request, naming the field, so a deployment of that dialect leaves the plan.
public struct EmbeddingRequest: Sendable, Equatable {
    /// The model the client named (from the body for OpenAI, from the URL for Gemini).
    public var model: String
    /// What to embed, one vector per input, in order.
    public var inputs: [EmbeddingInput]
    /// How the client wants the vectors written (OpenAI's `encoding_format`; Gemini clients always get floats).
    public var encoding: EmbeddingEncoding
    /// The length of the vectors asked for (OpenAI `dimensions`, Gemini `outputDimensionality`).
    public var dimensions: Int?
    /// OpenAI's `user`: the end user, for the provider's abuse monitoring and for the request log.
    public var user: String?
    /// Gemini's `taskType` (`RETRIEVAL_QUERY`, `SEMANTIC_SIMILARITY`...), the same for every input.
    public var taskType: String?
    /// Members of an OpenAI request the router has no meaning for, each as its key and JSON text: passed on to
    /// OpenAI-dialect providers as written, refused for Gemini.
    public var extra: [(key: String, json: [UInt8])]

    public init(
        model: String, inputs: [EmbeddingInput], encoding: EmbeddingEncoding = .float, dimensions: Int? = nil,
        user: String? = nil, taskType: String? = nil, extra: [(key: String, json: [UInt8])] = []
    ) {
        self.model = model
        self.inputs = inputs
        self.encoding = encoding
        self.dimensions = dimensions
        self.user = user
        self.taskType = taskType
        self.extra = extra
    }

    /// The most inputs one request may carry (OpenAI's own limit); Gemini's batch limit is lower, and the provider
    /// says so if it is passed.
    public static let maximumInputs = 2048

    /// A token count for a provider that reports none (Gemini): 4 bytes of text per token, at least one per text
    /// input; a token-id input counts its ids.
    public var estimatedTokens: Int {
        inputs.reduce(0) { total, input in
            let (sum, overflow) = total.addingReportingOverflow(input.estimatedTokens)
            return overflow ? .max : sum
        }
    }

    public static func == (lhs: EmbeddingRequest, rhs: EmbeddingRequest) -> Bool {
        lhs.model == rhs.model && lhs.inputs == rhs.inputs && lhs.encoding == rhs.encoding && lhs.dimensions == rhs.dimensions
            && lhs.user == rhs.user && lhs.taskType == rhs.taskType
            && lhs.extra.map(\.key) == rhs.extra.map(\.key) && lhs.extra.map(\.json) == rhs.extra.map(\.json)
    }
}

/// One thing to embed.
public struct EmbeddingInput: Sendable, Equatable {
    /// Text, or token ids (OpenAI only).
    public enum Value: Sendable, Equatable {
        case text(String)
        case tokens([Int])
    }

    public var value: Value
    /// Gemini's `title` of a document (with `taskType: RETRIEVAL_DOCUMENT`); OpenAI has no place for it.
    public var title: String?

    public init(_ value: Value, title: String? = nil) {
        self.value = value
        self.title = title
    }

    /// Text input.
    public static func text(_ text: String) -> EmbeddingInput { EmbeddingInput(.text(text)) }

    /// See ``EmbeddingRequest/estimatedTokens``.
    var estimatedTokens: Int {
        switch value {
        case .text(let text): max(1, text.utf8.count / 4 + (text.utf8.count % 4 == 0 ? 0 : 1))
        case .tokens(let ids): ids.count
        }
    }
}

/// How vectors are written for an OpenAI client.
public enum EmbeddingEncoding: String, Sendable, Equatable {
    /// JSON arrays of numbers.
    case float
    /// Each vector's little-endian float32 values, base64-encoded (what the OpenAI Python SDK asks for by default).
    case base64
}
