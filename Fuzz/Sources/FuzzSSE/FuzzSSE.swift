import EdgeJSON
import EdgeWire
import NIOCore

// Fuzzes what the router does with a provider's streamed answer: the SSE parser, the stream decoder of a provider
// dialect (OpenAI, Anthropic, Gemini or Cog: the first input byte's high half picks it), each client dialect's answer
// assembler and stream encoder, fed bytes as they would arrive. For Cog, the same bytes are also read as a whole
// prediction answer (a predictor that does not stream) and as a `/health-check` answer. Besides never trapping, it checks:
// - the events do not depend on where the stream is split into reads (the first input byte's low half picks the
//   split);
// - the answer each client dialect's assembler makes of whatever was decoded is valid JSON, and so is each data
//   line its stream encoder writes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    guard let first = input.first else { return 0 }
    let dialect = Int((first >> 4) % 4)
    let stream = UnsafeBufferPointer(rebasing: input.dropFirst())
    if dialect == 3 {
        // Outside input read whole: it must never trap, and a successful read has a well-formed first event.
        if let events = try? CogAnswerReader.events(Array(stream)) {
            guard let head = events.first else { fatalError("a Cog answer read into no events") }
            switch head {
            case .start, .error: break
            default: fatalError("a Cog answer's first event is \(head)")
            }
        }
        _ = CogHealth.status(in: stream)
    }
    // A small line limit, so that the limit is reached too.
    let whole = decode(stream, dialect: dialect, pieces: 1, maxLineLength: 512)
    let split = decode(stream, dialect: dialect, pieces: Int(first % 16) + 2, maxLineLength: 512)
    guard whole == split else { fatalError("events depend on the reads: \(whole) vs \(split)") }
    return 0
}

/// What one pass over a stream produced.
struct Pass: Equatable {
    var events: [[StreamEvent]] = []
    var malformed = 0
    var done = false
    var lineTooLong = false
}

/// One provider dialect's decoder.
func decoder(_ dialect: Int) -> any ProviderStreamDecoder {
    switch dialect {
    case 0: OpenAIStreamDecoder()
    case 1: AnthropicStreamDecoder()
    case 2: GeminiStreamDecoder()
    default: CogStreamDecoder()
    }
}

/// Parses `stream` in `pieces` reads of about equal size, decodes it in `dialect` and assembles and encodes it in
/// every client dialect, as the upstream and response paths do.
func decode(_ stream: UnsafeBufferPointer<UInt8>, dialect: Int, pieces: Int, maxLineLength: Int) -> Pass {
    var parser = SSEParser(maxLineLength: maxLineLength)
    var decoder = decoder(dialect)
    var assemblers: [any ClientAnswerAssembler] = [OpenAICompletionAssembler(), AnthropicMessageAssembler(), GeminiResponseAssembler()]
    var encoders: [any ClientStreamEncoder] = [
        OpenAIChunkEncoder(fallbackID: "fuzz", model: "fuzz-model", includeUsage: true),
        AnthropicStreamEncoder(fallbackID: "fuzz", model: "fuzz-model"),
        GeminiStreamEncoder(framing: .sse, responseID: "fuzz", modelVersion: "fuzz-model"),
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
        case .done?: pass.done = true
        case .skip?: break
        case nil: pass.malformed += 1
        }
    }
    let step = max(1, (stream.count + pieces - 1) / pieces)
    var start = 0
    do {
        while start < stream.count {
            let end = min(stream.count, start + step)
            try parser.parse(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: stream[start..<end]))) { take($0) }
            start = end
        }
        if let last = parser.finish() { take(last) }
    } catch {
        pass.lineTooLong = true
    }
    // Not compared between passes: without a start event they carry the time of assembly.
    for assembler in assemblers {
        let answer = assembler.answerJSON(fallbackModel: "fuzz-model", fallbackID: "fuzz-id")
        if !isValidJSON(Array(answer.readableBytesView)) { fatalError("an assembled answer is not valid JSON: \(String(buffer: answer))") }
    }
    for index in encoders.indices { encoders[index].finish(into: &encoded) }
    // Lines split on bytes: in a `String`, CR LF is one character, not a line feed.
    let prefix = Array("data: ".utf8)
    for var line in encoded.readableBytesView.split(separator: UInt8(ascii: "\n")) {
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        guard line.starts(with: prefix) else { continue }
        let payload = Array(line.dropFirst(prefix.count))
        guard payload != Array("[DONE]".utf8) else { continue }
        if !isValidJSON(payload) { fatalError("an encoded frame is not valid JSON: \(String(decoding: payload, as: UTF8.self))") }
    }
    return pass
}

func isValidJSON(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { buffer in
        var scanner = JSONScanner(buffer)
        return (try? scanner.skipValue()) != nil && (try? scanner.finish()) != nil
    }
}
