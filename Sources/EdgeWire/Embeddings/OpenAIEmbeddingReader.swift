import EdgeJSON

/// Reads OpenAI's `POST /v1/embeddings` body: `model`, `input` (a string, an array of strings, an array of token
/// ids, or an array of such arrays), `encoding_format` (`float` or `base64`), `dimensions` and `user`. Errors name
/// the field at fault; other members are kept as written (``EmbeddingRequest/extra``).
public enum OpenAIEmbeddingReader {
    /// Reads a request body; errors name the field at fault.
    public static func read(_ bytes: some Collection<UInt8>) throws(WireError) -> EmbeddingRequest {
        try GeminiBodyCursor.read(bytes) { (cursor: inout GeminiBodyCursor) throws(WireError) in
            var model: String?
            var inputs: [EmbeddingInput]?
            var request = EmbeddingRequest(model: "", inputs: [])
            try cursor.enterObject("")
            while let key = try cursor.nextMember() {
                switch key {
                case "model": model = try cursor.string("model")
                case "input": inputs = try readInput(&cursor)
                case "encoding_format":
                    if cursor.skipNull() { continue }
                    let name = try cursor.string("encoding_format")
                    guard let encoding = EmbeddingEncoding(rawValue: name) else {
                        throw WireError("'encoding_format' must be 'float' or 'base64'.", param: "encoding_format")
                    }
                    request.encoding = encoding
                case "dimensions":
                    if cursor.skipNull() { continue }
                    request.dimensions = try EmbeddingLimits.dimensions(cursor.int("dimensions"), param: "dimensions")
                case "user":
                    if cursor.skipNull() { continue }
                    request.user = try cursor.string("user")
                default:
                    let name = key.string
                    request.extra.removeAll { $0.key == name }
                    request.extra.append((name, try cursor.raw()))
                }
            }
            guard let model, !model.isEmpty else { throw WireError("'model' is required: a non-empty string.", param: "model") }
            guard let inputs else { throw WireError("'input' is required.", param: "input") }
            request.model = model
            request.inputs = inputs
            return request
        }
    }

    /// `input`: one string, strings, one token array, or token arrays; never empty, at most
    /// ``EmbeddingRequest/maximumInputs``.
    private static func readInput(_ cursor: inout GeminiBodyCursor) throws(WireError) -> [EmbeddingInput] {
        let shape = "'input' must be a string, an array of strings, an array of token ids or an array of token id arrays."
        switch cursor.kind() {
        case .string:
            return [.text(try cursor.string("input"))]
        case .array:
            break
        default:
            throw WireError(shape, param: "input")
        }
        try cursor.enterArray("input")
        var inputs: [EmbeddingInput] = []
        var ids: [Int] = []
        var index = 0
        while try cursor.nextElement() {
            let path = "input[\(index)]"
            switch cursor.kind() {
            case .string where ids.isEmpty:
                inputs.append(.text(try cursor.string(path)))
            case .number where inputs.isEmpty:
                ids.append(try tokenID(&cursor, path))
            case .array where ids.isEmpty:
                try cursor.enterArray(path)
                var tokens: [Int] = []
                var position = 0
                while try cursor.nextElement() {
                    tokens.append(try tokenID(&cursor, "\(path)[\(position)]"))
                    position += 1
                }
                guard !tokens.isEmpty else { throw WireError("'\(path)' must not be empty.", param: path) }
                inputs.append(EmbeddingInput(.tokens(tokens)))
            default:
                throw WireError(shape, param: path)
            }
            index += 1
            guard index <= EmbeddingRequest.maximumInputs else {
                throw WireError("'input' may hold at most \(EmbeddingRequest.maximumInputs) items.", param: "input")
            }
        }
        if !ids.isEmpty { inputs = [EmbeddingInput(.tokens(ids))] }
        guard !inputs.isEmpty else { throw WireError("'input' must not be empty.", param: "input") }
        return inputs
    }

    private static func tokenID(_ cursor: inout GeminiBodyCursor, _ path: String) throws(WireError) -> Int {
        let id = try cursor.int(path)
        guard id >= 0, id <= Int(UInt32.max) else { throw WireError("'\(path)' must be a token id (0 or more).", param: path) }
        return id
    }
}

/// Checks shared by both dialects' readers.
enum EmbeddingLimits {
    /// The largest vector length accepted from a client: far above any model's, small enough that nothing sized by
    /// it can be a problem.
    static let maximumDimensions = 65_536

    static func dimensions(_ value: Int, param: String) throws(WireError) -> Int {
        guard value >= 1, value <= maximumDimensions else {
            throw WireError("'\(param)' must be a whole number from 1 to \(maximumDimensions).", param: param)
        }
        return value
    }

    /// A field name of the client's, quoted at most 64 characters long and without control characters.
    static func quoted(_ text: String) -> String {
        let printable = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }
        var quoted = String(String.UnicodeScalarView(printable.prefix(64)))
        if printable.count > 64 { quoted += "..." }
        return quoted
    }
}
