import EdgeJSON
import NIOCore

/// A client's Anthropic Messages request (`POST /v1/messages`): the fields the router acts on, and the rest of the
/// body as the client sent it, so that every other field (tools, thinking, `cache_control`, fields newer than this
/// code) reaches an Anthropic provider byte for byte.
public struct AnthropicMessagesRequest: Sendable {
    /// The model the client named (a catalog name or alias, or `provider/model`).
    public let model: String
    /// Whether the client asked for a stream.
    public let stream: Bool
    /// The upstream body after its `{"model":"…"`: the client's other members, then `"stream":true`, then the
    /// closing brace (see ``upstreamBody(model:)``).
    private let upstreamTail: ByteBuffer

    /// The body to send to an Anthropic deployment: its own model id, always streaming, so the router can measure
    /// the first token and fail over before it whatever the client asked.
    ///
    /// It is the client's body with `model` and `stream` written by the router (every occurrence of the client's
    /// own removed, so no duplicate can override them); of other keys the client sent twice only the last is kept,
    /// the one the checks read.
    public func upstreamBody(model upstreamModel: String) -> ByteBuffer {
        SplicedBody.with(model: upstreamModel, tail: upstreamTail)
    }

    /// A checked request; ``parse(_:)`` (in `AnthropicMessagesRequest+Parsing.swift`) makes them.
    init(model: String, stream: Bool, upstreamTail: ByteBuffer) {
        self.model = model
        self.stream = stream
        self.upstreamTail = upstreamTail
    }
}
