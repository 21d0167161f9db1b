import EdgeJSON
import NIOCore

/// A Responses API client's request and a native provider's events (`dialect: openai-responses`) passed on with
/// only what the router's duties require changed.
///
/// The request: the client's body, every member as the client wrote it, but `model` (the deployment's),
/// `"stream": true` (the router always streams from providers), `"store": false` (stored responses are the
/// router's) and no `previous_response_id`: the router holds that conversation and puts it as input items before
/// the client's own `input` (a string input becomes one user message).
///
/// The events: each goes out as the provider sent it, with its `sequence_number` set to the router's (the event's
/// SSE id, which the resume buffer and `starting_after` count), the provider's response id replaced by the
/// router's wherever it appears as a JSON string, and in the response objects `"store":false` and
/// `"previous_response_id":null` replaced by what the client asked (compact JSON, as OpenAI writes it).
public enum ResponsesPassThrough {
    /// The upstream body for a native deployment of `model`; `history` is the conversation of the client's
    /// `previous_response_id` (empty without one). Refused (naming the field) when the history cannot be written as
    /// input items (an image inside a tool result).
    public static func body(client: some Collection<UInt8>, model: String, history: [ChatMessage]) throws(WireError) -> ByteBuffer {
        let bytes = Array(client)
        var body = ByteBufferAllocator().buffer(capacity: bytes.count + 256)
        body.writeStaticString(#"{"model":"#)
        body.writeJSONString(model)
        let copied = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONScanner.Failure) in try copyMembers(buffer, into: &body) }
        }
        guard case .success(let input) = copied else { throw WireError("The request body is not a JSON object.") }
        body.writeStaticString(#","input":["#)
        var first = true
        try ResponsesRequestWriter.writeItems(history, to: &body, first: &first)
        switch input {
        case .string(let text):
            if !first { body.writeStaticString(",") }
            body.writeStaticString(#"{"type":"message","role":"user","content":"#)
            body.writeBytes(text)
            body.writeStaticString("}")
        case .items(let items):
            for item in items {
                if !first { body.writeStaticString(",") }
                first = false
                body.writeBytes(item)
            }
        }
        body.writeStaticString(#"],"store":false,"stream":true}"#)
        return body
    }

    private enum Input {
        /// A string input, as its JSON text.
        case string([UInt8])
        /// Input items, each as its JSON text.
        case items([[UInt8]])
    }

    /// Copies every member but those the router writes itself; returns the `input`.
    private static func copyMembers(_ bytes: UnsafeBufferPointer<UInt8>, into body: inout ByteBuffer) throws(JSONScanner.Failure) -> Input {
        var scanner = JSONScanner(bytes)
        var input = Input.items([])
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "model", "stream", "store", "previous_response_id":
                try scanner.skipValue()
            case "input":
                if try scanner.peekKind() == .array {
                    var items: [[UInt8]] = []
                    try scanner.enterArray()
                    while try scanner.nextElement() { items.append(try scanner.readRawValue()) }
                    input = .items(items)
                } else {
                    input = .string(try scanner.readRawValue())
                }
            default:
                body.writeStaticString(",")
                body.writeJSONString(key.string)
                body.writeStaticString(":")
                body.writeBytes(try scanner.readRawValue())
            }
        }
        try scanner.finish()
        return input
    }

    /// One provider event's data with the router's `sequence_number` and each `(from, to)` replacement made; `from`
    /// and `to` are whole JSON tokens that start with a string (a quoted id, `"store":false`), matched only where a
    /// string opens, never inside one (text that mentions them is left alone).
    public static func rewrite(_ payload: [UInt8], sequenceNumber: Int, replacing replacements: [(from: [UInt8], to: [UInt8])]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(payload.count + 16)
        let key = Array(#""sequence_number":"#.utf8)
        let quote = UInt8(ascii: "\"")
        var index = 0
        var numbered = false
        var inString = false
        var escaped = false
        outer: while index < payload.count {
            let byte = payload[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == quote {
                    inString = false
                }
                output.append(byte)
                index += 1
                continue
            }
            if byte == quote {
                if !numbered, matches(key, in: payload, at: index) {
                    numbered = true
                    output += key
                    index += key.count
                    while index < payload.count, payload[index] == UInt8(ascii: " ") { index += 1 }
                    while index < payload.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(payload[index]) { index += 1 }
                    output += Array(String(sequenceNumber).utf8)
                    continue
                }
                for (from, to) in replacements where from.count > 1 && matches(from, in: payload, at: index) {
                    // Every `from` ends outside a string (a closing quote, `false`, `null`), so scanning goes on there.
                    output += to
                    index += from.count
                    continue outer
                }
                inString = true
            }
            output.append(byte)
            index += 1
        }
        return output
    }

    private static func matches(_ token: [UInt8], in payload: [UInt8], at index: Int) -> Bool {
        guard payload.count - index >= token.count else { return false }
        var offset = 0
        while offset < token.count {
            if payload[index + offset] != token[offset] { return false }
            offset += 1
        }
        return true
    }
}
