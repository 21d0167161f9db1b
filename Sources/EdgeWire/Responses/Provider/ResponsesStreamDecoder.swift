import EdgeJSON

/// Decodes the stream of a provider that speaks OpenAI's Responses API natively (`dialect: openai-responses`)
/// into ``UpstreamFrame``s, event by event.
///
/// - `response.created` gives the answer's identity (its id, model and `created_at`) and the assistant role.
/// - `response.output_text.delta` is text, `response.refusal.delta` a refusal, and
///   `response.reasoning_summary_text.delta` (or `response.reasoning_text.delta`) reasoning.
/// - A function call is announced by `response.output_item.added` (its `call_id` and `name`); its first
///   ``StreamEvent/toolCall(choice:index:id:name:arguments:)`` goes out with the first arguments delta, so that the
///   first token is the first piece of content, as in every dialect. A call whose arguments came with no delta is
///   sent whole at `response.function_call_arguments.done` (or at its `response.output_item.done`).
/// - `response.completed` and `response.incomplete` finish choice 0 (`stop`, `tool_calls` when a function was
///   called, `length` for `max_output_tokens`, `content_filter`) and give the usage, cached and reasoning tokens
///   included. The stream has no end marker after them: the answer is then complete (``isAnswerFinished``).
/// - `response.failed` and `error` are stream errors (before the first token, the router fails over).
///
/// Everything else (`response.in_progress`, part and item bookkeeping, built-in tools' events) is a frame without
/// events: it has no neutral meaning, but a Responses client answered by pass-through gets it as it came.
public struct ResponsesStreamDecoder: ProviderStreamDecoder {
    private struct Call {
        var outputIndex: Int
        var id: String
        var name: String
        /// The call's first fragment (with its id and name) has gone out.
        var sent = false
    }

    private var started = false
    private var calls: [Call] = []
    public private(set) var isAnswerFinished = false

    /// A decoder at the start of a stream.
    public init() {}

    public mutating func decode(_ event: SSEEvent) throws(MalformedFrame) -> StreamDecoded {
        let data = event.data
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .skip }
        let reading = data.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in try ResponsesStreamEvent.read(bytes) }
        }
        guard case .success(let decoded) = reading else {
            throw MalformedFrame(detail: "a stream event is not a valid Responses API event")
        }
        // The `type` member names the event; the SSE `event:` line repeats it and is the fallback.
        var frameEvent = decoded
        if frameEvent.type.isEmpty { frameEvent.type = event.type ?? "" }
        let events = events(of: frameEvent)
        // Every event is a frame, its events empty when it has no neutral meaning: a Responses client answered by
        // pass-through gets all of them.
        return .frame(UpstreamFrame(payload: data, eventType: frameEvent.type, events: events))
    }

    private mutating func events(of event: ResponsesStreamEvent) -> [StreamEvent] {
        var events: [StreamEvent] = []
        switch event.type {
        case "response.created", "response.in_progress", "response.queued":
            begin(event.response, into: &events)
        case "response.output_text.delta":
            begin(nil, into: &events)
            if let delta = event.delta, !delta.isEmpty { events.append(.text(choice: 0, text: delta)) }
        case "response.refusal.delta":
            begin(nil, into: &events)
            if let delta = event.delta, !delta.isEmpty { events.append(.refusal(choice: 0, text: delta)) }
        case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
            begin(nil, into: &events)
            if let delta = event.delta, !delta.isEmpty { events.append(.reasoning(choice: 0, text: delta)) }
        case "response.output_item.added":
            begin(nil, into: &events)
            if case .functionCall(let id, let name, _) = event.item, let index = event.outputIndex,
                !calls.contains(where: { $0.outputIndex == index })
            {
                calls.append(Call(outputIndex: index, id: id, name: name))
            }
        case "response.function_call_arguments.delta":
            begin(nil, into: &events)
            if let delta = event.delta, !delta.isEmpty { send(delta, callAt: event.outputIndex, into: &events) }
        case "response.function_call_arguments.done":
            begin(nil, into: &events)
            sendWhole(event.arguments ?? "", callAt: event.outputIndex, item: nil, into: &events)
        case "response.output_item.done":
            if case .functionCall(_, _, let arguments) = event.item {
                begin(nil, into: &events)
                sendWhole(arguments, callAt: event.outputIndex, item: event.item, into: &events)
            }
        case "response.completed", "response.incomplete":
            guard !isAnswerFinished else { break }
            begin(event.response, into: &events)
            isAnswerFinished = true
            let reason = ResponsesJSON.finishReason(
                status: event.type == "response.incomplete" ? "incomplete" : event.response?.status,
                incompleteReason: event.response?.incompleteReason, madeCalls: !calls.isEmpty)
            events.append(.finish(choice: 0, reason: reason))
            if let usage = event.response?.usage { events.append(.usage(usage)) }
        case "response.failed":
            let error = event.response?.error
            events = [.error(message: error?.message ?? "the response failed", type: error?.code ?? "failed")]
        case "error":
            events = [.error(message: event.message ?? "the provider reported an error", type: event.code ?? "error")]
        default:
            break
        }
        return events
    }

    private mutating func begin(_ response: ResponseObject?, into events: inout [StreamEvent]) {
        guard !started else { return }
        started = true
        events.append(.start(id: response?.id ?? "", model: response?.model ?? "", created: response?.createdAt ?? 0))
        events.append(.role(choice: 0, role: "assistant"))
    }

    /// A piece of the arguments of the call at `outputIndex` (a call never announced is announced now, unnamed).
    private mutating func send(_ arguments: String, callAt outputIndex: Int?, into events: inout [StreamEvent]) {
        let position = position(of: outputIndex, item: nil)
        let call = calls[position]
        events.append(
            .toolCall(
                choice: 0, index: position, id: call.sent ? nil : call.id, name: call.sent ? nil : call.name,
                arguments: arguments))
        calls[position].sent = true
    }

    /// The arguments of a call that is done: sent whole when no delta carried them.
    private mutating func sendWhole(
        _ arguments: String, callAt outputIndex: Int?, item: ResponseObject.Item?, into events: inout [StreamEvent]
    ) {
        let position = position(of: outputIndex, item: item)
        guard !calls[position].sent else { return }
        send(arguments, callAt: outputIndex, into: &events)
        if arguments.isEmpty { calls[position].sent = true }
    }

    /// The neutral index of the call at `outputIndex`, added when first seen.
    private mutating func position(of outputIndex: Int?, item: ResponseObject.Item?) -> Int {
        let index = outputIndex ?? (calls.last?.outputIndex ?? -1)
        if let found = calls.firstIndex(where: { $0.outputIndex == index }) { return found }
        var id = "call_\(calls.count)"
        var name = ""
        if case .functionCall(let callID, let callName, _) = item {
            if !callID.isEmpty { id = callID }
            name = callName
        }
        calls.append(Call(outputIndex: index, id: id, name: name))
        return calls.count - 1
    }
}

/// Reads the JSON answer of a Responses API provider asked without streaming (a `Response` object) into the
/// events a stream would have given: identity, text, refusals, reasoning summaries and function calls in output
/// order, the finish and the usage; or the error of a failed response.
public enum ResponsesAnswerReader {
    public static func events(_ bytes: [UInt8]) throws(MalformedFrame) -> [StreamEvent] {
        let reading = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONScanner.Failure) in
                var scanner = JSONScanner(buffer)
                let object = try ResponseObject.read(&scanner)
                try scanner.finish()
                return object
            }
        }
        guard case .success(let response) = reading else {
            throw MalformedFrame(detail: "the answer is not a valid Responses API response")
        }
        if response.status == "failed" || response.error != nil {
            return [.error(message: response.error?.message ?? "the response failed", type: response.error?.code ?? "failed")]
        }
        var events: [StreamEvent] = [
            .start(id: response.id ?? "", model: response.model ?? "", created: response.createdAt ?? 0),
            .role(choice: 0, role: "assistant"),
        ]
        var calls = 0
        for item in response.output {
            switch item {
            case .message(let parts):
                for part in parts {
                    switch part {
                    case .text(let text) where !text.isEmpty: events.append(.text(choice: 0, text: text))
                    case .refusal(let text) where !text.isEmpty: events.append(.refusal(choice: 0, text: text))
                    default: break
                    }
                }
            case .functionCall(let callID, let name, let arguments):
                events.append(
                    .toolCall(choice: 0, index: calls, id: callID.isEmpty ? "call_\(calls)" : callID, name: name, arguments: arguments))
                calls += 1
            case .reasoning(let summary):
                for text in summary where !text.isEmpty { events.append(.reasoning(choice: 0, text: text)) }
            }
        }
        events.append(
            .finish(
                choice: 0,
                reason: ResponsesJSON.finishReason(status: response.status, incompleteReason: response.incompleteReason, madeCalls: calls > 0)))
        if let usage = response.usage { events.append(.usage(usage)) }
        return events
    }
}
