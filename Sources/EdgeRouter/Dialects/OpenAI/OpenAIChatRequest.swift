import Foundation

/// A client's chat-completion request: the fields the router acts on, and the whole body kept as a JSON object
/// so every other field (tools, temperature, response_format, fields newer than this code) reaches the provider
/// unchanged.
public struct OpenAIChatRequest: @unchecked Sendable {
    // @unchecked: `body` holds Foundation JSON values (NSDictionary, NSArray, NSString, NSNumber), which are
    // immutable once parsed; the struct is never mutated after `parse`, so sharing it across tasks is safe.

    /// The model the client named (a catalog name or alias, or `provider/model`).
    public let model: String
    /// Whether the client asked for a stream.
    public let stream: Bool
    /// Whether the client asked for the usage chunk (`stream_options.include_usage`).
    public let includeUsage: Bool
    private let body: [String: Any]

    /// Parses and checks a request body; errors name the offending field.
    public static func parse(_ bytes: some Collection<UInt8>) throws(EdgeRouterError) -> OpenAIChatRequest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw EdgeRouterError(.invalidRequest, "The request body is not valid JSON.")
        }
        guard let body = object as? [String: Any] else {
            throw EdgeRouterError(.invalidRequest, "The request body must be a JSON object.")
        }
        guard let modelValue = body["model"] else {
            throw EdgeRouterError(.invalidRequest, "Missing required parameter: 'model'.", param: "model")
        }
        guard let model = modelValue as? String, !model.isEmpty else {
            throw EdgeRouterError(.invalidRequest, "'model' must be a non-empty string.", param: "model")
        }
        guard let messagesValue = body["messages"] else {
            throw EdgeRouterError(.invalidRequest, "Missing required parameter: 'messages'.", param: "messages")
        }
        guard let messages = messagesValue as? [Any], !messages.isEmpty else {
            throw EdgeRouterError(.invalidRequest, "'messages' must be a non-empty array.", param: "messages")
        }
        for (index, message) in messages.enumerated() {
            guard let message = message as? [String: Any] else {
                throw EdgeRouterError(.invalidRequest, "'messages[\(index)]' must be an object.", param: "messages[\(index)]")
            }
            guard message["role"] is String else {
                throw EdgeRouterError(
                    .invalidRequest, "Missing required parameter: 'messages[\(index)].role'.", param: "messages[\(index)].role")
            }
        }
        let stream: Bool
        switch body["stream"] {
        case nil, is NSNull: stream = false
        case let value as Bool where isBoolean(body["stream"]): stream = value
        default: throw EdgeRouterError(.invalidRequest, "'stream' must be a boolean.", param: "stream")
        }
        var includeUsage = false
        if let options = body["stream_options"], !(options is NSNull) {
            guard let options = options as? [String: Any] else {
                throw EdgeRouterError(.invalidRequest, "'stream_options' must be an object.", param: "stream_options")
            }
            if let flag = options["include_usage"] {
                guard isBoolean(flag), let flag = flag as? Bool else {
                    throw EdgeRouterError(
                        .invalidRequest, "'stream_options.include_usage' must be a boolean.", param: "stream_options.include_usage")
                }
                includeUsage = flag
            }
        }
        return OpenAIChatRequest(model: model, stream: stream, includeUsage: includeUsage, body: body)
    }

    /// The body to send to a deployment: its own model id, always streaming, always with the usage chunk, so the
    /// router can measure the first token and account for every request whatever the client asked.
    public func upstreamBody(model upstreamModel: String) throws(EdgeRouterError) -> Data {
        var upstream = body
        upstream["model"] = upstreamModel
        upstream["stream"] = true
        var options = (body["stream_options"] as? [String: Any]) ?? [:]
        options["include_usage"] = true
        upstream["stream_options"] = options
        do {
            return try JSONSerialization.data(withJSONObject: upstream, options: [.withoutEscapingSlashes])
        } catch {
            throw EdgeRouterError(.invalidRequest, "The request body could not be re-encoded: \(error)")
        }
    }

    /// Foundation lets `1` cast to `Bool`; JSON booleans are the numbers whose Objective-C type is `char`.
    private static func isBoolean(_ value: Any?) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return number.objCType.pointee == CChar(UInt8(ascii: "c"))
    }
}
