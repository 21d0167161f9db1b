import EdgeJSON
import NIOCore

/// An embeddings request as the simulator reads it: the inputs' texts (token-id inputs as their ids' text) and the
/// vector length asked for.
struct SimulatedEmbeddingRequest {
    var model: String
    var texts: [String]
    var dimensions: Int?
}

/// Reads embeddings requests leniently, as the chat readers do: only the JSON syntax and a missing input are
/// refused.
enum EmbeddingRequestReader {
    /// OpenAI's `{"model","input","dimensions"}`; `input` a string, strings, token ids or arrays of them.
    static func openAI(_ body: ByteBuffer) -> SimulatedEmbeddingRequest? {
        read(body) { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
            var request = SimulatedEmbeddingRequest(model: "", texts: [])
            var ids: [String] = []
            try scanner.lenientObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                switch key {
                case "model": request.model = try scanner.lenientString() ?? ""
                case "dimensions": request.dimensions = try scanner.lenientCount()
                case "input":
                    if try scanner.peekKind() == .string {
                        request.texts = [try scanner.readString()]
                        return
                    }
                    try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                        switch try scanner.peekKind() {
                        case .string: request.texts.append(try scanner.readString())
                        case .number: ids.append(String(try scanner.lenientCount() ?? 0))
                        default:
                            var tokens: [String] = []
                            try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                                tokens.append(String(try scanner.lenientCount() ?? 0))
                            }
                            request.texts.append(tokens.joined(separator: " "))
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            if !ids.isEmpty { request.texts.append(ids.joined(separator: " ")) }
            return request.texts.isEmpty ? nil : request
        }
    }

    /// Gemini's `:embedContent` (one `content`) or `:batchEmbedContents` (`requests[]`), each with
    /// `content.parts[].text` and `outputDimensionality`.
    static func gemini(_ body: ByteBuffer, model: String, batch: Bool) -> SimulatedEmbeddingRequest? {
        read(body) { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
            var request = SimulatedEmbeddingRequest(model: model, texts: [])
            if batch {
                try scanner.lenientObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                    guard key.matches("requests") else { return try scanner.skipValue() }
                    try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                        try readItem(&scanner, into: &request)
                    }
                }
            } else {
                try readItem(&scanner, into: &request)
            }
            return request.texts.isEmpty ? nil : request
        }
    }

    private static func readItem(_ scanner: inout JSONScanner, into request: inout SimulatedEmbeddingRequest) throws(JSONScanner.Failure) {
        var texts: [String] = []
        try scanner.lenientObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
            switch key {
            case "outputDimensionality": request.dimensions = try scanner.lenientCount()
            case "content":
                try scanner.lenientObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                    guard key.matches("parts") else { return try scanner.skipValue() }
                    try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
                        try scanner.lenientObject { (scanner: inout JSONScanner, key) throws(JSONScanner.Failure) in
                            if key.matches("text"), let text = try scanner.lenientString() { texts.append(text) } else { try scanner.skipValue() }
                        }
                    }
                }
            default: try scanner.skipValue()
            }
        }
        request.texts.append(texts.joined(separator: "\n"))
    }

    private static func read(
        _ body: ByteBuffer, _ walk: (inout JSONScanner) throws(JSONScanner.Failure) -> SimulatedEmbeddingRequest?
    ) -> SimulatedEmbeddingRequest? {
        DialectRequest.read(body) { bytes in
            var scanner = JSONScanner(bytes)
            guard let request = try? walk(&scanner), (try? scanner.finish()) != nil else { return nil }
            return request
        }
    }
}
