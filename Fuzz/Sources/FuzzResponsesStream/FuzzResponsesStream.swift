import EdgeJSON
import EdgeWire
import NIOCore

// Fuzzes what the router does with the answer of a provider that speaks the Responses API natively
// (`dialect: openai-responses`): the SSE parser and ``ResponsesStreamDecoder`` fed the bytes as they would arrive,
// then every client dialect's assembler and stream encoder (the Responses API's own included) fed the events; and
// the same bytes read whole as a Response object (``ResponsesAnswerReader``). Besides never trapping, it checks:
// - the events do not depend on where the stream is split into reads (the first input byte picks the split);
// - a Response object that reads has identity (or an error) first;
// - each client dialect's assembled answer is valid JSON, and so is each data line its stream encoder writes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponsesStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    guard let first = input.first else { return 0 }
    let stream = UnsafeBufferPointer(rebasing: input.dropFirst())
    if let events = try? ResponsesAnswerReader.events(Array(stream)) {
        guard let head = events.first else { fatalError("a Response object read into no events") }
        switch head {
        case .start, .error: break
        default: fatalError("a Response object's first event is \(head)")
        }
    }
    let whole = decode(stream, pieces: 1)
    let split = decode(stream, pieces: Int(first % 16) + 2)
    guard whole == split else { fatalError("events depend on the reads: \(whole) vs \(split)") }
    return 0
}

/// What one pass over a stream produced.
struct Pass: Equatable {
    var events: [[StreamEvent]] = []
    var malformed = 0
    var finished = false
}

/// Parses `stream` in `pieces` reads of about equal size, decodes it and assembles and encodes it in every client
/// dialect, as the upstream and response paths do.
func decode(_ stream: UnsafeBufferPointer<UInt8>, pieces: Int) -> Pass {
    var parser = SSEParser(maxLineLength: 512)
    var decoder = ResponsesStreamDecoder()
    let identity = ResponsesIdentity(responseID: "resp_fuzz", itemBase: "fuzz", model: "fuzz-model", createdAt: 0)
    var assemblers: [any ClientAnswerAssembler] = [
        OpenAICompletionAssembler(), AnthropicMessageAssembler(), GeminiResponseAssembler(), ResponsesAssembler(identity: identity),
    ]
    var encoders: [any ClientStreamEncoder] = [
        OpenAIChunkEncoder(fallbackID: "fuzz", model: "fuzz-model", includeUsage: true),
        AnthropicStreamEncoder(fallbackID: "fuzz", model: "fuzz-model"),
        GeminiStreamEncoder(framing: .sse, responseID: "fuzz", modelVersion: "fuzz-model"),
        ResponsesStreamEncoder(identity: identity),
    ]
    var encoded = ByteBuffer()
    var pass = Pass()
    func take(_ event: SSEEvent) {
        switch (try? decoder.decode(event)) {
        case .frame(let frame)?:
            pass.events.append(frame.events)
            for event in frame.events {
                for index in assemblers.indices { assemblers[index].consume(event) }
                for index in encoders.indices { encoders[index].encode(event, into: &encoded) }
            }
        case .done?, .skip?: break
        case nil: pass.malformed += 1
        }
    }
    let size = max(1, (stream.count + pieces - 1) / pieces)
    var start = 0
    var broken = false
    while start < stream.count, !broken {
        let end = min(stream.count, start + size)
        do {
            try parser.parse(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: stream[start..<end])), onEvent: take)
        } catch {
            // A line over the limit ends the stream, wherever the reads split it.
            broken = true
        }
        start = end
    }
    if !broken, let last = parser.finish() { take(last) }
    pass.finished = decoder.isAnswerFinished
    for index in encoders.indices { encoders[index].finish(into: &encoded) }
    for assembler in assemblers {
        let answer = assembler.answerJSON(fallbackModel: "fuzz-model", fallbackID: "fuzz")
        guard isJSON(answer) else { fatalError("an assembled answer is not JSON: \(String(buffer: answer))") }
    }
    // Lines split on bytes: in a `String`, CR LF is one character, not a line feed.
    let prefix = Array("data: ".utf8)
    for var line in encoded.readableBytesView.split(separator: UInt8(ascii: "\n")) {
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        guard line.starts(with: prefix) else { continue }
        let payload = ByteBuffer(bytes: line.dropFirst(prefix.count))
        guard payload.readableBytesView.elementsEqual("[DONE]".utf8) || isJSON(payload) else {
            fatalError("an encoded data line is not JSON: \(String(buffer: payload))")
        }
    }
    return pass
}

func isJSON(_ buffer: ByteBuffer) -> Bool {
    buffer.withUnsafeReadableBytes { raw in
        var scanner = JSONScanner(raw.bindMemory(to: UInt8.self))
        do {
            try scanner.skipValue()
            try scanner.finish()
            return true
        } catch {
            return false
        }
    }
}
