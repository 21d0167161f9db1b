@testable import EdgeRouter

// Fuzzes the JSON scanner and the OpenAI request parser built on it with arbitrary bytes (client bodies reach
// both). Besides never trapping, it checks:
// - reading every value and skipping the whole document accept and reject the same inputs;
// - a value read after coming back to its mark is the value read the first time;
// - a request body the parser accepts is valid JSON, and so is the upstream body spliced from it.

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
    return 0
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
