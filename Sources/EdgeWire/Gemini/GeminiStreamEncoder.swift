import EdgeJSON
import NIOCore

/// Writes a stream of ``StreamEvent``s as Gemini `GenerateContentResponse` frames, for a Gemini client when the
/// provider spoke another dialect.
///
/// Text and thoughts are written as they come, one frame per event. Gemini sends function calls whole, so a call's
/// fragments are kept until its choice finishes. Finish reasons and usage are held for the last frame, written by
/// ``finish(into:)``: Gemini clients read both from the final response of a stream.
public struct GeminiStreamEncoder: ClientStreamEncoder {
    /// How the frames are delimited on the wire.
    public enum Framing: Sendable {
        /// `streamGenerateContent?alt=sse`: `data: <json>` events.
        case sse
        /// `streamGenerateContent` without `alt=sse`: the frames are the elements of one JSON array, streamed.
        case jsonArray
    }

    private struct Call {
        var choice: Int
        var index: Int
        var id = ""
        var name = ""
        var arguments = ""
    }

    private let framing: Framing
    private var responseID: String
    private var modelVersion: String
    /// Choices seen, sorted by index, with their held finish reasons.
    private var choices: [(index: Int, reason: String?)] = []
    /// Calls not yet written, in order of first fragment.
    private var calls: [Call] = []
    private var usage: TokenUsage?
    /// Frames written so far (the JSON-array framing needs a comma before all but the first).
    private var written = 0
    /// The stream was ended by an error element (array framing: the `]` is written).
    private var closed = false

    /// An encoder for one answer; `responseID` and `modelVersion` go on every frame, as Gemini writes them.
    public init(framing: Framing, responseID: String, modelVersion: String) {
        self.framing = framing
        self.responseID = responseID
        self.modelVersion = modelVersion
    }

    /// Appends the frame `event` makes, if any.
    public mutating func encode(_ event: StreamEvent, into output: inout ByteBuffer) {
        guard !closed else { return }
        switch event {
        case .start(let id, let model, _):
            // The router's own names win; the provider's stand in when none was given.
            if responseID.isEmpty { responseID = id }
            if modelVersion.isEmpty { modelVersion = model }
        case .role(let choice, _):
            note(choice)
        case .text(let choice, let text), .refusal(let choice, let text), .reasoning(let choice, let text):
            note(choice)
            guard !text.isEmpty else { return }
            var thought = false
            if case .reasoning = event { thought = true }
            frame(into: &output) { body in
                Self.writeCandidateStart(into: &body)
                GeminiJSON.writeTextPart(text, thought: thought, into: &body)
                Self.writeCandidateEnd(choice, into: &body)
            }
        case .toolCall(let choice, let index, let id, let name, let arguments):
            note(choice)
            let position: Int
            if let found = calls.firstIndex(where: { $0.choice == choice && $0.index == index }) {
                position = found
            } else {
                calls.append(Call(choice: choice, index: index))
                position = calls.count - 1
            }
            if let id, !id.isEmpty { calls[position].id = id }
            if let name { calls[position].name += name }
            calls[position].arguments += arguments
        case .finish(let choice, let reason):
            let slot = note(choice)
            choices[slot].reason = reason
            let ready = calls.filter { $0.choice == choice }
            guard !ready.isEmpty else { return }
            calls.removeAll { $0.choice == choice }
            frame(into: &output) { body in
                Self.writeCandidateStart(into: &body)
                Self.writeCalls(ready, into: &body)
                Self.writeCandidateEnd(choice, into: &body)
            }
        case .usage(let usage):
            self.usage = usage
        case .reasoningSignature, .redactedReasoning:
            // Another provider's signed or encrypted reasoning means nothing to Gemini, and a Gemini client cannot
            // return it usefully.
            break
        case .error(let message, let type):
            Self.writeError(code: 500, message: message, status: type ?? "INTERNAL", framing: framing, first: written == 0, into: &output)
            closed = true
        }
    }

    /// Writes the last frame (every candidate's finish reason, calls still held, usage) and, for the array
    /// framing, the closing `]`.
    public mutating func finish(into output: inout ByteBuffer) {
        guard !closed else { return }
        closed = true
        // Copies: the frame is written by a mutating method, which the closure must not reach into.
        let choices = self.choices
        let calls = self.calls
        let usage = self.usage
        if !choices.isEmpty || usage != nil {
            frame(into: &output) { body in
                if !choices.isEmpty {
                    body.writeStaticString(#""candidates":["#)
                    for (position, choice) in choices.enumerated() {
                        if position > 0 { body.writeStaticString(",") }
                        body.writeStaticString(#"{"content":{"parts":["#)
                        let held = calls.filter { $0.choice == choice.index }
                        if held.isEmpty {
                            // Gemini's own last frame carries an empty text part; clients index `parts[0]`.
                            body.writeStaticString(#"{"text":""}"#)
                        } else {
                            Self.writeCalls(held, into: &body)
                        }
                        body.writeStaticString(#"],"role":"model"}"#)
                        if let reason = choice.reason {
                            body.writeStaticString(#","finishReason":""#)
                            body.writeStaticString(GeminiJSON.finishReason(for: reason))
                            body.writeStaticString(#"""#)
                        }
                        body.writeStaticString(#","index":"#)
                        body.writeJSONInteger(choice.index)
                        body.writeStaticString("}")
                    }
                    body.writeStaticString("],")
                }
                if let usage {
                    GeminiJSON.writeUsage(usage, into: &body)
                    body.writeStaticString(",")
                }
            }
        }
        if framing == .jsonArray { output.writeStaticString(written == 0 ? "[]" : "]") }
    }

    /// An error that ends a stream mid-way, as Gemini writes one: an SSE frame, or (array framing) a last element
    /// with the error and the closing `]`. `first` says no element was written yet (the array's `[` is missing).
    public static func errorFrame(code: Int, message: String, status: String, framing: Framing, first: Bool = false) -> ByteBuffer {
        var output = ByteBufferAllocator().buffer(capacity: 96 + message.utf8.count)
        writeError(code: code, message: message, status: status, framing: framing, first: first, into: &output)
        return output
    }

    private static func writeError(code: Int, message: String, status: String, framing: Framing, first: Bool, into output: inout ByteBuffer) {
        switch framing {
        case .sse: output.writeStaticString("data: ")
        case .jsonArray: output.writeStaticString(first ? "[" : ",\r\n")
        }
        output.writeBytes(GeminiErrorBody.json(code: code, message: message, status: status))
        switch framing {
        case .sse: output.writeStaticString("\r\n\r\n")
        case .jsonArray: output.writeStaticString("]")
        }
    }

    /// Registers a choice; returns its position.
    @discardableResult
    private mutating func note(_ choice: Int) -> Int {
        if let last = choices.indices.last, choices[last].index == choice { return last }
        if let found = choices.firstIndex(where: { $0.index == choice }) { return found }
        let position = choices.firstIndex { $0.index > choice } ?? choices.count
        choices.insert((choice, nil), at: position)
        return position
    }

    /// One frame: `write` writes the members before `modelVersion` and `responseId`, each followed by a comma.
    private mutating func frame(into output: inout ByteBuffer, _ write: (inout ByteBuffer) -> Void) {
        switch framing {
        case .sse: output.writeStaticString("data: ")
        case .jsonArray: output.writeStaticString(written == 0 ? "[" : ",\r\n")
        }
        written += 1
        output.writeStaticString("{")
        write(&output)
        output.writeStaticString(#""modelVersion":"#)
        output.writeJSONString(modelVersion)
        output.writeStaticString(#","responseId":"#)
        output.writeJSONString(responseID)
        output.writeStaticString("}")
        if framing == .sse { output.writeStaticString("\r\n\r\n") }
    }

    private static func writeCandidateStart(into body: inout ByteBuffer) {
        body.writeStaticString(#""candidates":[{"content":{"parts":["#)
    }

    private static func writeCandidateEnd(_ choice: Int, into body: inout ByteBuffer) {
        body.writeStaticString(#"],"role":"model"},"index":"#)
        body.writeJSONInteger(choice)
        body.writeStaticString("}],")
    }

    private static func writeCalls(_ calls: [Call], into body: inout ByteBuffer) {
        for (position, call) in calls.sorted(by: { $0.index < $1.index }).enumerated() {
            if position > 0 { body.writeStaticString(",") }
            GeminiJSON.writeFunctionCall(id: call.id, name: call.name, arguments: call.arguments, into: &body)
        }
    }
}
