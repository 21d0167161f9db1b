import EdgeJSON

/// Decodes an Anthropic Messages SSE stream, event by event, into ``UpstreamFrame``s.
///
/// The event's type is read from its JSON `type` member, which Anthropic always sends and which is the one its
/// SDKs trust; the SSE `event:` field is not consulted. ``UpstreamFrame/eventType`` is set to that type, so the
/// pass-through path writes `event:` and `data:` that agree.
///
/// `ping` and event types this code does not know are ``StreamDecoded/skip``. Events the router need not act on
/// but an Anthropic client does (`content_block_stop`, an empty `content_block_start`, `citations_delta`) are
/// frames with no events, so that the pass-through path still forwards them.
public struct AnthropicStreamDecoder: ProviderStreamDecoder {
    /// Usage from `message_start`, completed by `message_delta`.
    private var usage = AnthropicStreamEvent.Usage()
    private var hasUsage = false
    /// The neutral tool-call index of each `tool_use` block, by the block's index (a handful per answer).
    private var toolBlocks: [(block: Int, tool: Int)] = []
    public private(set) var isAnswerFinished = false

    /// A decoder at the start of a stream.
    public init() {}

    /// Decodes the event's data; malformed frames (not JSON, members of the wrong type, no `type`) throw.
    public mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> StreamDecoded {
        let data = event.data
        if data.isEmpty { return .skip }
        let result = data.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in try decode(bytes) }
        }
        switch result {
        case .success(let decoded):
            guard let decoded else { throw MalformedFrame(detail: "a stream event has no type") }
            switch decoded {
            case .frame(var frame):
                frame.payload = data
                return .frame(frame)
            default:
                return decoded
            }
        case .failure:
            throw MalformedFrame(detail: "a stream frame is not a valid Anthropic event")
        }
    }

    /// The decoded event; nil when it has no `type`. The frame's payload is filled in by the caller.
    private mutating func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanner.Failure) -> StreamDecoded? {
        var scanner = JSONScanner(bytes)
        let members = try AnthropicStreamEvent.readMembers(&scanner)
        guard let typeSpan = members.type else { return nil }
        var events: [StreamEvent] = []
        let type: String
        switch true {
        case scanner.spanIs(typeSpan, "content_block_delta"):
            type = "content_block_delta"
            try blockDelta(members, scanner, into: &events)
        case scanner.spanIs(typeSpan, "content_block_start"):
            type = "content_block_start"
            try blockStart(members, scanner, into: &events)
        case scanner.spanIs(typeSpan, "content_block_stop"):
            type = "content_block_stop"
        case scanner.spanIs(typeSpan, "message_start"):
            type = "message_start"
            try messageStart(members, scanner, into: &events)
        case scanner.spanIs(typeSpan, "message_delta"):
            type = "message_delta"
            try messageDelta(members, scanner, into: &events)
        case scanner.spanIs(typeSpan, "message_stop"):
            return .done
        case scanner.spanIs(typeSpan, "error"):
            type = "error"
            var message: String?
            var errorType: String?
            if let mark = members.error {
                var reader = scanner.resumed(at: mark)
                let error = try AnthropicStreamEvent.readObject(&reader)
                message = error.message.map(scanner.string)
                errorType = error.type.map(scanner.string)
            }
            events.append(.error(message: message ?? "the provider reported an error", type: errorType))
        default:
            // `ping`, and event types newer than this code, which Anthropic says clients must ignore.
            return .skip
        }
        return .frame(UpstreamFrame(payload: [], eventType: type, events: events))
    }

    private mutating func messageStart(
        _ members: AnthropicStreamEvent.Members, _ scanner: JSONScanner, into events: inout [StreamEvent]
    ) throws(JSONScanner.Failure) {
        var id = ""
        var model = ""
        if let mark = members.message {
            var reader = scanner.resumed(at: mark)
            let message = try AnthropicStreamEvent.readObject(&reader)
            id = message.id.map(scanner.string) ?? ""
            model = message.model.map(scanner.string) ?? ""
            if let usageMark = message.usage {
                var usageReader = scanner.resumed(at: usageMark)
                merge(try AnthropicStreamEvent.readUsage(&usageReader))
            }
        }
        events.reserveCapacity(2)
        events.append(.start(id: id, model: model, created: 0))
        events.append(.role(choice: 0, role: "assistant"))
    }

    private mutating func blockStart(
        _ members: AnthropicStreamEvent.Members, _ scanner: JSONScanner, into events: inout [StreamEvent]
    ) throws(JSONScanner.Failure) {
        guard let mark = members.contentBlock else { return }
        var reader = scanner.resumed(at: mark)
        let block = try AnthropicStreamEvent.readObject(&reader)
        guard let type = block.type else { return }
        if scanner.spanIs(type, "tool_use") {
            let tool = toolBlocks.count
            toolBlocks.append((members.index ?? 0, tool))
            events.append(
                .toolCall(
                    choice: 0, index: tool, id: block.id.map(scanner.string) ?? "", name: block.name.map(scanner.string) ?? "",
                    arguments: ""))
        } else if scanner.spanIs(type, "text"), let text = block.text, !text.isEmpty {
            events.append(.text(choice: 0, text: scanner.string(text)))
        } else if scanner.spanIs(type, "thinking"), let thinking = block.thinking, !thinking.isEmpty {
            events.append(.reasoning(choice: 0, text: scanner.string(thinking)))
        } else if scanner.spanIs(type, "redacted_thinking"), let data = block.data {
            events.append(.redactedReasoning(choice: 0, data: scanner.string(data)))
        }
    }

    private func blockDelta(
        _ members: AnthropicStreamEvent.Members, _ scanner: JSONScanner, into events: inout [StreamEvent]
    ) throws(JSONScanner.Failure) {
        guard let mark = members.delta else { return }
        var reader = scanner.resumed(at: mark)
        let delta = try AnthropicStreamEvent.readObject(&reader)
        guard let type = delta.type else { return }
        if scanner.spanIs(type, "text_delta") {
            if let text = delta.text, !text.isEmpty { events.append(.text(choice: 0, text: scanner.string(text))) }
        } else if scanner.spanIs(type, "input_json_delta") {
            // Only a `tool_use` block's input is a tool call; a server tool's input streams the same way.
            let block = members.index ?? 0
            if let tool = toolBlocks.last(where: { $0.block == block })?.tool {
                let arguments = delta.partialJSON.map(scanner.string) ?? ""
                events.append(.toolCall(choice: 0, index: tool, id: nil, name: nil, arguments: arguments))
            }
        } else if scanner.spanIs(type, "thinking_delta") {
            if let thinking = delta.thinking, !thinking.isEmpty {
                events.append(.reasoning(choice: 0, text: scanner.string(thinking)))
            }
        } else if scanner.spanIs(type, "signature_delta") {
            if let signature = delta.signature {
                events.append(.reasoningSignature(choice: 0, signature: scanner.string(signature)))
            }
        }
    }

    private mutating func messageDelta(
        _ members: AnthropicStreamEvent.Members, _ scanner: JSONScanner, into events: inout [StreamEvent]
    ) throws(JSONScanner.Failure) {
        if let mark = members.delta {
            var reader = scanner.resumed(at: mark)
            let delta = try AnthropicStreamEvent.readObject(&reader)
            if let reason = delta.stopReason {
                events.append(.finish(choice: 0, reason: AnthropicStopReason.neutral(scanner.string(reason))))
                isAnswerFinished = true
            }
        }
        if let mark = members.usage {
            var reader = scanner.resumed(at: mark)
            merge(try AnthropicStreamEvent.readUsage(&reader))
        }
        if hasUsage { events.append(.usage(tokenUsage)) }
    }

    /// Takes the figures present; `message_delta`'s counts are cumulative, so each replaces the last.
    private mutating func merge(_ figures: AnthropicStreamEvent.Usage) {
        hasUsage = true
        if let input = figures.input { usage.input = input }
        if let output = figures.output { usage.output = output }
        if let cacheRead = figures.cacheRead { usage.cacheRead = cacheRead }
        if let cacheWrite = figures.cacheWrite { usage.cacheWrite = cacheWrite }
    }

    /// The neutral usage: Anthropic counts cached prompt tokens apart from `input_tokens`; they are added in.
    private var tokenUsage: TokenUsage {
        let cacheRead = usage.cacheRead ?? 0
        let cacheWrite = usage.cacheWrite ?? 0
        let prompt = Self.saturatingSum(usage.input ?? 0, Self.saturatingSum(cacheRead, cacheWrite))
        return TokenUsage(
            promptTokens: prompt, completionTokens: usage.output ?? 0, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite)
    }

    /// The provider's counts are outside input: a sum that does not fit saturates rather than trapping.
    private static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return a < 0 ? .min : .max
    }
}
