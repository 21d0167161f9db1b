import NIOCore

/// What one SSE event of a provider's stream turned out to be, in any dialect.
public enum StreamDecoded: Sendable {
    case frame(UpstreamFrame)
    /// The stream says it is complete (OpenAI's `[DONE]`, Anthropic's `message_stop`).
    case done
    /// Nothing to act on (an empty data line, a `ping`, an event type this code does not know).
    case skip
}

/// The provider sent something that is not a frame of its dialect.
public struct MalformedFrame: Error, Sendable {
    /// What is wrong, for the client and the logs (never the frame's text).
    public var detail: String

    public init(detail: String) {
        self.detail = detail
    }
}

/// One frame of an upstream stream: the bytes the provider sent and what they mean.
public struct UpstreamFrame: Sendable {
    /// The SSE data payload as the provider sent it, for the pass-through path.
    public var payload: [UInt8]
    /// The SSE `event:` type, for dialects that name their events (Anthropic); pass-through writes it back.
    public var eventType: String?
    /// What the frame says, for accounting, first-token detection and translation.
    public var events: [StreamEvent]
    /// The frame carries only the usage figures (OpenAI's `include_usage` chunk with empty `choices`): an OpenAI
    /// client that did not ask for it does not get it.
    public var isUsageOnly: Bool

    public init(payload: [UInt8], eventType: String? = nil, events: [StreamEvent], isUsageOnly: Bool = false) {
        self.payload = payload
        self.eventType = eventType
        self.events = events
        self.isUsageOnly = isUsageOnly
    }

    /// Whether any event in the frame carries content.
    public var hasContent: Bool { events.contains { $0.isContent } }
}

/// Turns one provider dialect's stream into ``StreamEvent``s, SSE event by SSE event.
public protocol ProviderStreamDecoder {
    /// A decoder at the start of a stream.
    init()
    /// Decodes one SSE event. An `error` event of the provider is a frame whose first event is
    /// ``StreamEvent/error(message:type:)``.
    mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> StreamDecoded
    /// Whether a stream that closes now, with no end marker, has given a complete answer (a choice said why it
    /// finished). Gemini never sends an end marker: its streams end this way.
    var isAnswerFinished: Bool { get }
}

/// Writes a stream of ``StreamEvent``s as one client dialect's SSE frames (the translating path; the
/// pass-through path writes the provider's own frames).
public protocol ClientStreamEncoder {
    /// Appends the frames that `event` makes (often none: state is kept until a frame can be written).
    mutating func encode(_ event: StreamEvent, into output: inout ByteBuffer)
    /// Appends what ends a complete stream (`[DONE]`, `message_stop`; nothing for Gemini).
    mutating func finish(into output: inout ByteBuffer)
}

/// Builds the single answer a non-streaming client expects from the events of a stream, in its dialect.
public protocol ClientAnswerAssembler {
    /// Takes one event of the stream, in order.
    mutating func consume(_ event: StreamEvent)
    /// Bytes of text taken so far: the router caps it (`server.max_response_bytes`).
    var assembledBytes: Int { get }
    /// The answer's JSON; `fallbackModel` and `fallbackID` stand in when the provider sent no model or id.
    func answerJSON(fallbackModel: String, fallbackID: String) -> ByteBuffer
}
