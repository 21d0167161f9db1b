import Foundation
import Testing

/// The `error` object of an OpenAI-shaped error body.
func openAIError(_ body: String) throws -> [String: Any] {
    let object = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    return try #require(object["error"] as? [String: Any])
}
