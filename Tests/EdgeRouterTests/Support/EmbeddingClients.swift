import Foundation

/// Embeddings requests of the two dialects that have them, and their answers read with Foundation's JSON parser
/// (independent of the router's own codecs).
enum EmbeddingClient: String, CaseIterable, Sendable, CustomStringConvertible {
    case openai, gemini

    var description: String { rawValue }

    /// Path, headers and body asking `model` to embed `texts`; `dimensions` as the dialect names it.
    func request(model: String, texts: [String], dimensions: Int? = nil, key: String = RouterHarness.clientKey)
        -> (path: String, headers: [(String, String)], body: String)
    {
        let quoted = texts.map { #""\#($0)""# }
        switch self {
        case .openai:
            let extra = dimensions.map { #","dimensions":\#($0)"# } ?? ""
            return (
                "/v1/embeddings", [("authorization", "Bearer \(key)")],
                #"{"model":"\#(model)","input":[\#(quoted.joined(separator: ","))]\#(extra)}"#
            )
        case .gemini:
            let extra = dimensions.map { #","outputDimensionality":\#($0)"# } ?? ""
            let items = quoted.map { #"{"model":"models/\#(model)","content":{"parts":[{"text":\#($0)}]}\#(extra)}"# }
            return (
                "/v1beta/models/\(model):batchEmbedContents", [("x-goog-api-key", key)],
                #"{"requests":[\#(items.joined(separator: ","))]}"#
            )
        }
    }

    /// The vectors of an answer in this dialect (OpenAI floats or base64); nil when it is not such an answer.
    func vectors(_ body: String) -> [[Float]]? {
        guard let object = DialectClient.object(body) else { return nil }
        switch self {
        case .openai:
            guard object["object"] as? String == "list", let data = object["data"] as? [[String: Any]] else { return nil }
            var vectors: [[Float]] = []
            for (index, item) in data.enumerated() {
                guard item["index"] as? Int == index else { return nil }
                if let encoded = item["embedding"] as? String {
                    guard let bytes = Data(base64Encoded: encoded) else { return nil }
                    // As the OpenAI SDK reads it: little-endian float32 values.
                    vectors.append(
                        stride(from: 0, to: bytes.count - 3, by: 4).map { offset -> Float in
                            var bits: UInt32 = 0
                            for shift in 0..<4 { bits |= UInt32(bytes[offset + shift]) << UInt32(8 * shift) }
                            return Float(bitPattern: bits)
                        })
                } else {
                    guard let values = item["embedding"] as? [NSNumber] else { return nil }
                    vectors.append(values.map(\.floatValue))
                }
            }
            return vectors
        case .gemini:
            if let single = object["embedding"] as? [String: Any] {
                return (single["values"] as? [NSNumber]).map { [$0.map(\.floatValue)] }
            }
            guard let items = object["embeddings"] as? [[String: Any]] else { return nil }
            let vectors = items.compactMap { ($0["values"] as? [NSNumber])?.map(\.floatValue) }
            return vectors.count == items.count ? vectors : nil
        }
    }
}
