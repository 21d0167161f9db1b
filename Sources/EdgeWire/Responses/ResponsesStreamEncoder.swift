import EdgeJSON
import NIOCore

/// Writes neutral ``StreamEvent``s as an OpenAI Responses API event stream.
///
/// `response.created` and `response.in_progress` open the stream; each output item is announced
/// (`response.output_item.added`, for a message also `response.content_part.added`; for reasoning
/// `response.reasoning_summary_part.added`), grows by deltas (`response.output_text.delta`,
/// `response.function_call_arguments.delta`, `response.reasoning_summary_text.delta`) and is closed by the matching
/// `…done` events when the next item begins or the answer finishes; `response.completed` (or `response.incomplete`
/// when the token limit or a content filter stopped it, `response.failed` when the provider failed) ends it, with
/// the whole response. The order is the one OpenAI's SDK stream helpers check.
///
/// Every event carries `sequence_number`, counted from 1 so that it equals the event's SSE `id:` (the router numbers
/// SSE events from 1): `starting_after=N` and `Last-Event-ID: N` then name the same point of the stream.
public struct ResponsesStreamEncoder: ClientStreamEncoder {
    /// The response as built so far.
    public private(set) var assembler: ResponsesAssembler
    private var sequence = 0
    private var started = false
    private var ended = false

    public init(identity: ResponsesIdentity) {
        assembler = ResponsesAssembler(identity: identity)
    }

    /// Whether the stream's last event (`response.completed`, `…incomplete` or `…failed`) is written.
    public var isEnded: Bool { ended }

    public mutating func encode(_ event: StreamEvent, into output: inout ByteBuffer) {
        guard !ended else { return }
        start(into: &output)
        let change = assembler.apply(event)
        write(change, into: &output)
    }

    public mutating func finish(into output: inout ByteBuffer) {
        guard !ended else { return }
        start(into: &output)
        write(ResponsesChange(closed: assembler.close()), into: &output)
        end(into: &output)
    }

    /// The answer broke off: the open item is closed and `response.failed` ends the stream.
    public mutating func fail(message: String, code: String, into output: inout ByteBuffer) {
        guard !ended else { return }
        start(into: &output)
        write(ResponsesChange(closed: assembler.fail(message: message, code: code)), into: &output)
        end(into: &output)
    }

    private mutating func start(into output: inout ByteBuffer) {
        guard !started else { return }
        started = true
        for type: StaticString in ["response.created", "response.in_progress"] {
            open(type, into: &output)
            output.writeStaticString(#","response":"#)
            assembler.writeResponse(final: false, into: &output)
            close(into: &output)
        }
    }

    private mutating func end(into output: inout ByteBuffer) {
        ended = true
        let type: StaticString =
            switch assembler.status {
            case "failed": "response.failed"
            case "incomplete": "response.incomplete"
            default: "response.completed"
            }
        open(type, into: &output)
        output.writeStaticString(#","response":"#)
        assembler.writeResponse(final: true, into: &output)
        close(into: &output)
    }

    private mutating func write(_ change: ResponsesChange, into output: inout ByteBuffer) {
        if let closed = change.closed { writeDone(closed, into: &output) }
        if let opened = change.opened { writeAdded(opened, into: &output) }
        if let delta = change.delta { writeDelta(delta, into: &output) }
    }

    private mutating func writeAdded(_ index: Int, into output: inout ByteBuffer) {
        let item = assembler.items[index]
        open("response.output_item.added", into: &output)
        output.writeStaticString(#","output_index":"#)
        output.writeJSONInteger(index)
        output.writeStaticString(#","item":"#)
        ResponsesAssembler.writeItem(item, status: "in_progress", empty: true, into: &output)
        close(into: &output)
        let id = item.id
        switch item.kind {
        case .message:
            open("response.content_part.added", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","content_index":0,"part":"#)
            ResponsesAssembler.writeTextPart("", into: &output)
            close(into: &output)
        case .reasoning:
            open("response.reasoning_summary_part.added", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","summary_index":0,"part":{"type":"summary_text","text":""}"#)
            close(into: &output)
        case .functionCall:
            break
        }
    }

    private mutating func writeDelta(_ delta: String, into output: inout ByteBuffer) {
        let index = assembler.items.count - 1
        let id = assembler.items[index].id
        switch assembler.items[index].kind {
        case .message:
            open("response.output_text.delta", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","content_index":0,"logprobs":[],"delta":"#)
        case .reasoning:
            open("response.reasoning_summary_text.delta", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","summary_index":0,"delta":"#)
        case .functionCall:
            open("response.function_call_arguments.delta", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","delta":"#)
        }
        output.writeJSONString(delta)
        close(into: &output)
    }

    private mutating func writeDone(_ index: Int, into output: inout ByteBuffer) {
        let item = assembler.items[index]
        let id = item.id
        let text = item.text
        switch item.kind {
        case .message:
            open("response.output_text.done", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","content_index":0,"logprobs":[],"text":"#)
            output.writeJSONString(text)
            close(into: &output)
            open("response.content_part.done", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","content_index":0,"part":"#)
            ResponsesAssembler.writeTextPart(text, into: &output)
            close(into: &output)
        case .reasoning:
            open("response.reasoning_summary_text.done", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","summary_index":0,"text":"#)
            output.writeJSONString(text)
            close(into: &output)
            open("response.reasoning_summary_part.done", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","summary_index":0,"part":{"type":"summary_text","text":"#)
            output.writeJSONString(text)
            output.writeStaticString("}")
            close(into: &output)
        case .functionCall:
            open("response.function_call_arguments.done", into: &output)
            itemFields(id: id, index: index, into: &output)
            output.writeStaticString(#","name":"#)
            output.writeJSONString(item.name)
            output.writeStaticString(#","arguments":"#)
            output.writeJSONString(text)
            close(into: &output)
        }
        open("response.output_item.done", into: &output)
        output.writeStaticString(#","output_index":"#)
        output.writeJSONInteger(index)
        output.writeStaticString(#","item":"#)
        ResponsesAssembler.writeItem(item, status: "completed", into: &output)
        close(into: &output)
    }

    private func itemFields(id: String, index: Int, into output: inout ByteBuffer) {
        output.writeStaticString(#","item_id":"#)
        output.writeJSONString(id)
        output.writeStaticString(#","output_index":"#)
        output.writeJSONInteger(index)
    }

    /// `event: TYPE` and the data object up to its first member.
    private mutating func open(_ type: StaticString, into output: inout ByteBuffer) {
        sequence += 1
        output.writeStaticString("event: ")
        output.writeStaticString(type)
        output.writeStaticString("\ndata: {\"type\":\"")
        output.writeStaticString(type)
        output.writeStaticString("\"")
    }

    /// The sequence number, and the end of the event.
    private func close(into output: inout ByteBuffer) {
        output.writeStaticString(#","sequence_number":"#)
        output.writeJSONInteger(sequence)
        output.writeStaticString("}\n\n")
    }
}
