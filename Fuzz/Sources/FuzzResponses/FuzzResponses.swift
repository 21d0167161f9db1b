import EdgeJSON
import EdgeWire
import NIOCore

// Fuzzes the Responses API request reader (`POST /v1/responses` bodies come from clients) and the encoder and
// assembler that answer it. Besides never trapping, it checks:
// - a body the reader accepts is valid JSON, names a model, and every refusal names a field or the body;
// - what it accepts is written by every dialect's request writer as valid JSON, or refused naming a field;
// - the request's text, streamed back through the encoder as text, reasoning and tool-call events, makes SSE events
//   whose data lines are each valid JSON with sequence numbers 1, 2, 3…, and the assembled response is valid JSON.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponses(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let request: ResponsesRequest
    do {
        request = try ResponsesRequestReader.read(bytes)
    } catch {
        if error.message.isEmpty { fatalError("a refusal without a message") }
        return 0
    }
    guard isJSON(bytes), bytes.first(where: { $0 > 0x20 }) == UInt8(ascii: "{") || bytes.starts(with: [0xEF, 0xBB, 0xBF]) else {
        fatalError("accepted a body that is not a JSON object")
    }
    if request.chat.model.isEmpty { fatalError("accepted a body without a model") }
    let chat = request.prepending(history: [ChatMessage(role: .user, parts: [.text("earlier")])])
    let writers: [(String, () throws(WireError) -> ByteBuffer)] = [
        ("openai", { () throws(WireError) in try OpenAIRequestWriter.body(for: chat, model: "m") }),
        ("anthropic", { () throws(WireError) in try AnthropicRequestWriter.body(for: chat, model: "m", defaultMaxTokens: 64) }),
        ("gemini", { () throws(WireError) in try GeminiRequestWriter.body(for: chat) }),
    ]
    for (name, write) in writers {
        do {
            let body = try write()
            guard isJSON(body) else { fatalError("\(name) wrote a body that is not JSON") }
        } catch {
            if error.message.isEmpty { fatalError("\(name) refused without a message") }
        }
    }
    var text = chat.messages.flatMap(\.parts).compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    text += chat.system.joined()
    var encoder = ResponsesStreamEncoder(
        identity: ResponsesIdentity(
            responseID: "resp_f", itemBase: "f", model: request.chat.model, createdAt: 0, previousResponseID: request.previousResponseID,
            store: request.store, echo: request.echo))
    var output = ByteBuffer()
    let pieces = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    for (index, piece) in pieces.enumerated() {
        let event: StreamEvent =
            switch index % 3 {
            case 0: .text(choice: 0, text: piece)
            case 1: .reasoning(choice: 0, text: piece)
            default: .toolCall(choice: 0, index: index, id: piece, name: piece, arguments: piece)
            }
        encoder.encode(event, into: &output)
    }
    encoder.encode(.usage(TokenUsage(promptTokens: text.utf8.count, completionTokens: pieces.count)), into: &output)
    encoder.finish(into: &output)
    var expected = 1
    for frame in String(buffer: output).components(separatedBy: "\n\n") where !frame.isEmpty {
        guard let line = frame.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }),
            isJSON(ByteBuffer(string: String(line.dropFirst(6)))), line.hasSuffix(#","sequence_number":\#(expected)}"#)
        else { fatalError("event \(expected) is not a JSON object ending with its sequence number: \(frame.prefix(200))") }
        expected += 1
    }
    guard isJSON(encoder.assembler.answerJSON(fallbackModel: "", fallbackID: "")) else { fatalError("the assembled response is not JSON") }
    return 0
}

/// Whether `bytes` are one JSON text, by the scanner the router reads with (its own fuzz target checks it).
func isJSON(_ bytes: some Collection<UInt8>) -> Bool {
    Array(bytes).withUnsafeBufferPointer { buffer in
        var scanner = JSONScanner(buffer)
        do {
            try scanner.skipValue()
            try scanner.finish()
            return true
        } catch {
            return false
        }
    }
}

func isJSON(_ buffer: ByteBuffer) -> Bool {
    isJSON(buffer.readableBytesView)
}
