import EdgeJSON
import EdgeWire
import NIOCore
import RoutingCore

// Fuzzes the JSON scanner and the readers built on it, the OpenAI request parser and the `x-edge-route` header, with
// arbitrary bytes (client bodies and headers reach them). Besides never trapping, it checks:
// - reading every value and skipping the whole document accept and reject the same inputs;
// - a value read after coming back to its mark is the value read the first time;
// - a request body the parser accepts is valid JSON, and so is the upstream body spliced from it, in each dialect
//   (OpenAI, Anthropic, Gemini); a body the neutral reader of a dialect accepts is written by the writer of every
//   dialect as valid JSON or refused with a message naming the field;
// - the embeddings readers (OpenAI and Gemini request bodies, both dialects' provider answers) accept only valid
//   JSON, and what they accept is written again as valid JSON or refused naming a field;
// - an `x-edge-route` value is accepted only if it is valid JSON, the same way twice, and is otherwise refused with
//   a short message that starts with the header's name and holds no control character.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)

    var reader = JSONScanner(bytes)
    let mark = reader.mark()
    let read = Result { () throws(JSONScanner.Failure) -> Walked in
        let value = try walk(&reader)
        try reader.finish()
        return value
    }
    var skipper = JSONScanner(bytes)
    let skipped = Result { () throws(JSONScanner.Failure) in
        try skipper.skipValue()
        try skipper.finish()
    }
    switch (read, skipped) {
    case (.success(let value), .success):
        var again = JSONScanner(bytes, at: mark)
        guard let replay = try? walk(&again), replay == value else { fatalError("reading again at a mark differs") }
    case (.failure, .failure):
        break
    case (.success, .failure(let failure)):
        fatalError("read but not skipped: \(failure)")
    case (.failure(let failure), .success):
        fatalError("skipped but not read: \(failure)")
    }

    if let request = try? OpenAIChatRequest.parse(bytes) {
        guard case .success = skipped else { fatalError("a request that is not valid JSON was accepted") }
        let upstream = request.upstreamBody(model: "fuzz-model")
        let valid = upstream.withUnsafeReadableBytes { raw in
            var scanner = JSONScanner(raw.assumingMemoryBound(to: UInt8.self))
            return (try? scanner.skipValue()) != nil && (try? scanner.finish()) != nil
        }
        if !valid { fatalError("the upstream body is not valid JSON: \(String(buffer: upstream))") }
    }
    if let request = try? AnthropicMessagesRequest.parse(bytes) {
        guard case .success = skipped else { fatalError("an Anthropic request that is not valid JSON was accepted") }
        checkValid(request.upstreamBody(model: "fuzz-model"), "the Anthropic upstream body")
    }
    if (try? GeminiGenerateRequest.parse(bytes, model: "fuzz-model", stream: true)) != nil {
        guard case .success = skipped else { fatalError("a Gemini request that is not valid JSON was accepted") }
    }
    let neutral = [
        try? OpenAIRequestReader.read(bytes), try? AnthropicRequestReader.read(bytes),
        try? GeminiRequestReader.read(bytes, model: "fuzz-model", stream: true),
    ]
    for case let request? in neutral {
        guard case .success = skipped else { fatalError("a neutral reader accepted a body that is not valid JSON") }
        checkWritten { () throws(WireError) in try OpenAIRequestWriter.body(for: request, model: "fuzz-model") }
        checkWritten { () throws(WireError) in try AnthropicRequestWriter.body(for: request, model: "fuzz-model", defaultMaxTokens: 64) }
        checkWritten { () throws(WireError) in try GeminiRequestWriter.body(for: request) }
    }
    checkEmbeddings(bytes, valid: { if case .success = skipped { true } else { false } }())
    checkRouteControl(bytes)
    return 0
}

/// The embeddings readers on the same bytes, as a client's body (OpenAI's, Gemini's single and batch) and as a
/// provider's answer: what they accept is valid JSON, and is written again for either dialect as valid JSON or
/// refused with a message naming the field.
func checkEmbeddings(_ bytes: UnsafeBufferPointer<UInt8>, valid: Bool) {
    let requests = [
        try? OpenAIEmbeddingReader.read(bytes), try? GeminiEmbeddingReader.read(bytes, model: "fuzz-model", batch: false),
        try? GeminiEmbeddingReader.read(bytes, model: "fuzz-model", batch: true),
    ]
    for case let request? in requests {
        guard valid else { fatalError("an embeddings reader accepted a body that is not valid JSON") }
        checkWritten { () throws(WireError) in try EmbeddingRequestWriter.openAIBody(request, model: "fuzz-model") }
        checkWritten { () throws(WireError) in try EmbeddingRequestWriter.geminiBody(request, model: "fuzz-model") }
    }
    let answer = ByteBuffer(bytes: bytes)
    for expected in 1...2 {
        let results = [
            try? EmbeddingResultReader.openAI(answer, expected: expected), try? EmbeddingResultReader.gemini(answer, expected: expected),
        ]
        for case let result? in results {
            guard valid else { fatalError("an embeddings answer that is not valid JSON was accepted") }
            checkValid(EmbeddingResultWriter.openAI(result, model: "m", encoding: .float, promptTokens: 1), "an embeddings answer")
            checkValid(EmbeddingResultWriter.openAI(result, model: "m", encoding: .base64, promptTokens: 1), "a base64 answer")
            checkValid(EmbeddingResultWriter.gemini(result, batch: true), "a Gemini embeddings answer")
        }
    }
}

/// A writer's body is valid JSON, or its refusal names a field.
func checkWritten(_ write: () throws(WireError) -> ByteBuffer) {
    switch Result(catching: write) {
    case .success(let body): checkValid(body, "a translated body")
    case .failure(let error):
        guard !error.message.isEmpty, error.message.unicodeScalars.count < 400 else { fatalError("a bad refusal: \(error.message)") }
    }
}

func checkValid(_ body: ByteBuffer, _ what: String) {
    let valid = body.withUnsafeReadableBytes { raw in
        var scanner = JSONScanner(raw.assumingMemoryBound(to: UInt8.self))
        return (try? scanner.skipValue()) != nil && (try? scanner.finish()) != nil
    }
    if !valid { fatalError("\(what) is not valid JSON: \(String(buffer: body))") }
}

/// Parses the bytes as an `x-edge-route` value (header values are text: invalid UTF-8 arrives repaired).
func checkRouteControl(_ bytes: UnsafeBufferPointer<UInt8>) {
    let header = String(decoding: bytes, as: UTF8.self)
    let parse = { () -> Result<RouteControl, RouteControlError> in
        Result { () throws(RouteControlError) in try RouteControl(header: header) }
    }
    let outcome = parse()
    guard outcome == parse() else { fatalError("x-edge-route parsed twice differs: \(header)") }
    switch outcome {
    case .success:
        var text = header
        let valid = text.withUTF8 { utf8 in
            var scanner = JSONScanner(utf8)
            return (try? scanner.skipValue()) != nil && (try? scanner.finish()) != nil
        }
        if !valid { fatalError("an x-edge-route value that is not valid JSON was accepted: \(header)") }
    case .failure(let error):
        let message = error.message
        guard message.hasPrefix("x-edge-route: "), message.unicodeScalars.count < 200,
            !message.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        else { fatalError("a bad x-edge-route message: \(message)") }
    }
}

/// A value as the typed readers return it.
indirect enum Walked: Equatable {
    case null
    case bool(Bool)
    case number(Range<Int>)
    case string(String)
    case array([Walked])
    case object([String: [Walked]])
}

/// Reads one value with the typed readers, descending into arrays and objects.
func walk(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Walked {
    switch try scanner.peekKind() {
    case .null:
        _ = try scanner.consumeNull()
        return .null
    case .bool:
        return .bool(try scanner.readBool())
    case .number:
        // Whole numbers also go through the integer reader, which must agree with the span.
        let start = scanner.mark()
        let span = try scanner.readNumberSpan()
        var integer = JSONScanner(scanner.bytes, at: start)
        if let value = try? integer.readInt(), integer.offset != span.upperBound {
            fatalError("readInt read \(value) up to \(integer.offset), the number ends at \(span.upperBound)")
        }
        return .number(span)
    case .string:
        return .string(try scanner.readString())
    case .array:
        try scanner.enterArray()
        var elements: [Walked] = []
        while try scanner.nextElement() { elements.append(try walk(&scanner)) }
        return .array(elements)
    case .object:
        try scanner.enterObject()
        var members: [String: [Walked]] = [:]
        while let key = try scanner.nextMember() {
            let name = scanner.string(key.span)
            members[name, default: []].append(try walk(&scanner))
        }
        return .object(members)
    }
}
