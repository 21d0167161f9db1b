import EdgeJSON
import EdgeWire
import RoutingCore

// Fuzzes the JSON scanner and the readers built on it, the OpenAI request parser and the `x-edge-route` header, with
// arbitrary bytes (client bodies and headers reach them). Besides never trapping, it checks:
// - reading every value and skipping the whole document accept and reject the same inputs;
// - a value read after coming back to its mark is the value read the first time;
// - a request body the parser accepts is valid JSON, and so is the upstream body spliced from it;
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
    checkRouteControl(bytes)
    return 0
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
