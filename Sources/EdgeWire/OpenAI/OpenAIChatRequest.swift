import EdgeJSON
import NIOCore

/// A client's chat-completion request: the fields the router acts on, and the rest of the body as the client sent
/// it, so every other field (tools, temperature, response_format, fields newer than this code) reaches the provider
/// byte for byte.
public struct OpenAIChatRequest: Sendable {
    /// The model the client named (a catalog name or alias, or `provider/model`).
    public let model: String
    /// Whether the client asked for a stream.
    public let stream: Bool
    /// Whether the client asked for the usage chunk (`stream_options.include_usage`).
    public let includeUsage: Bool
    /// The upstream body after its `{"model":"…"`: the client's other members, then `"stream":true` and
    /// `stream_options` with `include_usage`, then the closing brace (see ``upstreamBody(model:)``).
    private let upstreamTail: ByteBuffer

    /// The body to send to a deployment: its own model id, always streaming, always with the usage chunk, so the
    /// router can measure the first token and account for every request whatever the client asked.
    ///
    /// It is the client's body with `model`, `stream` and `stream_options` written by the router (every
    /// occurrence of the client's own removed, so no duplicate can override them) and `include_usage` set; of
    /// other keys the client sent twice only the last is kept, the one the checks read.
    public func upstreamBody(model upstreamModel: String) -> ByteBuffer {
        SplicedBody.with(model: upstreamModel, tail: upstreamTail)
    }

    /// A checked request; ``parse(_:)`` (in `OpenAIChatRequest+Parsing.swift`) makes them.
    public init(model: String, stream: Bool, includeUsage: Bool, upstreamTail: ByteBuffer) {
        self.model = model
        self.stream = stream
        self.includeUsage = includeUsage
        self.upstreamTail = upstreamTail
    }
}
