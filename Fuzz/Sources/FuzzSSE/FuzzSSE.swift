import EdgeJSON
import EdgeWire

// Fuzzes what the router does with a provider's streamed answer: the SSE parser, the OpenAI stream decoder and the
// completion assembler, fed bytes as they would arrive. Besides never trapping, it checks:
// - the events do not depend on where the stream is split into reads (the first input byte picks the split);
// - the `chat.completion` assembled from whatever was decoded is valid JSON.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    guard let first = input.first else { return 0 }
    let stream = UnsafeBufferPointer(rebasing: input.dropFirst())
    // A small line limit, so that the limit is reached too.
    let whole = decode(stream, pieces: 1, maxLineLength: 512)
    let split = decode(stream, pieces: Int(first % 16) + 2, maxLineLength: 512)
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

/// Parses `stream` in `pieces` reads of about equal size, decodes and assembles it, as the upstream path does.
func decode(_ stream: UnsafeBufferPointer<UInt8>, pieces: Int, maxLineLength: Int) -> Pass {
    var parser = SSEParser(maxLineLength: maxLineLength)
    var decoder = OpenAIStreamDecoder()
    var assembler = OpenAICompletionAssembler()
    var pass = Pass()
    func take(_ event: SSEEvent) {
        switch (try? decoder.decode(event)) {
        case .frame(let frame)?:
            pass.events.append(frame.events)
            for event in frame.events { assembler.consume(event) }
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
    // Not compared between passes: without a start event it carries the time of assembly.
    let completion = assembler.completionJSON(fallbackModel: "fuzz-model", fallbackID: "fuzz-id")
    let valid = completion.withUnsafeReadableBytes { raw in
        var scanner = JSONScanner(raw.assumingMemoryBound(to: UInt8.self))
        return (try? scanner.skipValue()) != nil && (try? scanner.finish()) != nil
    }
    if !valid { fatalError("the assembled completion is not valid JSON: \(String(buffer: completion))") }
    return pass
}
