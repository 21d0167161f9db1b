import EdgeJSON
import NIOCore

/// Reads a provider's embeddings answer into an ``EmbeddingResult``: OpenAI's list (`data[].embedding` as numbers
/// or base64, ordered by `index`, and `usage.prompt_tokens`) or Gemini's `embeddings[].values` (or one
/// `embedding.values`). The provider is outside input too: an answer that is not its dialect's, holds a number that
/// is not a finite float, or has another count of vectors than `expected` is refused (the attempt is malformed).
public enum EmbeddingResultReader {
    /// Reads an OpenAI-dialect answer holding `expected` vectors.
    public static func openAI(_ body: ByteBuffer, expected: Int) throws(WireError) -> EmbeddingResult {
        let result = try scan(body) { (scanner: inout JSONScanner) throws(JSONScanner.Failure) -> EmbeddingResult in
            var items: [(index: Int?, vector: [Float])] = []
            var promptTokens: Int?
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "data":
                    try scanner.enterArray()
                    while try scanner.nextElement() {
                        var index: Int?
                        var vector: [Float]?
                        try scanner.enterObject()
                        while let member = try scanner.nextMember() {
                            switch member {
                            case "index": index = try scanner.readNullableInt()
                            case "embedding":
                                if try scanner.peekKind() == .string {
                                    let span = try scanner.readStringSpan()
                                    guard !span.hasEscapes, let decoded = FloatBase64.decode(scanner.bytes[span.start..<span.end]) else {
                                        throw scanner.mismatch("base64 float32 values")
                                    }
                                    vector = decoded
                                } else {
                                    vector = try readVector(&scanner)
                                }
                            default: try scanner.skipValue()
                            }
                        }
                        guard let vector else { throw scanner.mismatch("an embedding") }
                        items.append((index, vector))
                    }
                case "usage":
                    if try scanner.consumeNull() { continue }
                    try scanner.enterObject()
                    while let member = try scanner.nextMember() {
                        if member.matches("prompt_tokens"), try scanner.peekKind() == .number {
                            promptTokens = try scanner.readInt()
                        } else {
                            try scanner.skipValue()
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            // `index` says where each vector goes; without it (some compatible servers) the order is the inputs'.
            if items.allSatisfy({ $0.index != nil }) {
                let indices = items.compactMap(\.index)
                guard Set(indices).count == items.count, indices.allSatisfy({ $0 >= 0 && $0 < items.count }) else {
                    throw scanner.mismatch("distinct indices")
                }
                items.sort { ($0.index ?? 0) < ($1.index ?? 0) }
            }
            return EmbeddingResult(vectors: items.map(\.vector), promptTokens: promptTokens.map { max(0, $0) })
        }
        try check(result, expected: expected)
        return result
    }

    /// Reads a Gemini-dialect answer holding `expected` vectors.
    public static func gemini(_ body: ByteBuffer, expected: Int) throws(WireError) -> EmbeddingResult {
        let result = try scan(body) { (scanner: inout JSONScanner) throws(JSONScanner.Failure) -> EmbeddingResult in
            var vectors: [[Float]] = []
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                switch key {
                case "embeddings":
                    try scanner.enterArray()
                    while try scanner.nextElement() { vectors.append(try readValues(&scanner)) }
                case "embedding":
                    vectors.append(try readValues(&scanner))
                default: try scanner.skipValue()
                }
            }
            return EmbeddingResult(vectors: vectors)
        }
        try check(result, expected: expected)
        return result
    }

    /// `{"values": [...]}`.
    private static func readValues(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> [Float] {
        var values: [Float]?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if key.matches("values") { values = try readVector(&scanner) } else { try scanner.skipValue() }
        }
        guard let values else { throw scanner.mismatch("values") }
        return values
    }

    /// An array of numbers, each a finite float32.
    static func readVector(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> [Float] {
        var vector: [Float] = []
        try scanner.enterArray()
        while try scanner.nextElement() {
            let span = try scanner.readNumberSpan()
            guard let value = Float(String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[span]), as: UTF8.self)),
                value.isFinite
            else { throw scanner.mismatch("a finite float") }
            vector.append(value)
        }
        return vector
    }

    private static func scan(
        _ body: ByteBuffer, _ read: (inout JSONScanner) throws(JSONScanner.Failure) -> EmbeddingResult
    ) throws(WireError) -> EmbeddingResult {
        let result = body.withUnsafeReadableBytes { raw in
            Result { () throws(JSONScanner.Failure) -> EmbeddingResult in
                var scanner = JSONScanner(raw.assumingMemoryBound(to: UInt8.self))
                let result = try read(&scanner)
                try scanner.finish()
                return result
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let failure): throw WireError("the provider's answer is not an embeddings answer (\(failure))")
        }
    }

    private static func check(_ result: EmbeddingResult, expected: Int) throws(WireError) {
        guard result.vectors.count == expected else {
            throw WireError("the provider answered \(result.vectors.count) vectors for \(expected) inputs")
        }
    }
}
