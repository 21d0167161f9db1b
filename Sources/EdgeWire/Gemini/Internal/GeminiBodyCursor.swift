import EdgeJSON

/// A walk over a client's Gemini request body whose type errors are ``WireError``s naming the field.
///
/// The body's syntax is checked in full before the walk starts (``read(_:_:)``), so a syntax error anywhere wins
/// over a field of the wrong type and, during the walk, the only failures left are values of the wrong kind.
/// Paths are autoclosures: they are only built when a field is at fault.
struct GeminiBodyCursor {
    var scanner: JSONScanner

    static let notJSON = WireError("The request body is not valid JSON.")

    /// Validates `bytes` as one JSON object and runs `walk` over it from the start.
    static func read<T>(
        _ bytes: some Collection<UInt8>, _ walk: (inout GeminiBodyCursor) throws(WireError) -> T
    ) throws(WireError) -> T {
        func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<T, WireError> {
            Result { () throws(WireError) -> T in
                var validator = JSONScanner(buffer)
                let kind: JSONScanner.ValueKind
                do {
                    kind = try validator.peekKind()
                    try validator.skipValue()
                    try validator.finish()
                } catch {
                    throw notJSON
                }
                guard kind == .object else { throw WireError("The request body must be a JSON object.") }
                var cursor = GeminiBodyCursor(scanner: JSONScanner(buffer))
                return try walk(&cursor)
            }
        }
        let result = bytes.withContiguousStorageIfAvailable(run) ?? Array(bytes).withUnsafeBufferPointer(run)
        return try result.get()
    }

    static func mustBe(_ what: String, _ path: String) -> WireError {
        WireError("'\(path)' must be \(what).", param: path)
    }

    /// The kind of the next value (the body is valid JSON, so there is one).
    mutating func kind() -> JSONScanner.ValueKind {
        (try? scanner.peekKind()) ?? .null
    }

    /// Consumes a `null` if one comes next: protobuf's JSON mapping reads `null` as an absent field.
    mutating func skipNull() -> Bool {
        (try? scanner.consumeNull()) ?? false
    }

    mutating func skip() throws(WireError) {
        do { try scanner.skipValue() } catch { throw Self.notJSON }
    }

    mutating func enterObject(_ path: @autoclosure () -> String) throws(WireError) {
        do { try scanner.enterObject() } catch { throw Self.mustBe("an object", path()) }
    }

    mutating func nextMember() throws(WireError) -> JSONScanner.Key? {
        do { return try scanner.nextMember() } catch { throw Self.notJSON }
    }

    mutating func enterArray(_ path: @autoclosure () -> String) throws(WireError) {
        do { try scanner.enterArray() } catch { throw Self.mustBe("an array", path()) }
    }

    mutating func nextElement() throws(WireError) -> Bool {
        do { return try scanner.nextElement() } catch { throw Self.notJSON }
    }

    mutating func string(_ path: @autoclosure () -> String) throws(WireError) -> String {
        do { return try scanner.readString() } catch { throw Self.mustBe("a string", path()) }
    }

    mutating func bool(_ path: @autoclosure () -> String) throws(WireError) -> Bool {
        do { return try scanner.readBool() } catch { throw Self.mustBe("a boolean", path()) }
    }

    /// An integer that fits in `Int` (a huge count is refused, never trapped on).
    mutating func int(_ path: @autoclosure () -> String) throws(WireError) -> Int {
        do { return try scanner.readInt() } catch { throw Self.mustBe("an integer", path()) }
    }

    /// A number as the client wrote it.
    mutating func number(_ path: @autoclosure () -> String) throws(WireError) -> JSONNumber {
        do {
            let span = try scanner.readNumberSpan()
            return JSONNumber(Array(scanner.bytes[span]))
        } catch {
            throw Self.mustBe("a number", path())
        }
    }

    /// Any value's JSON text, as written.
    mutating func raw() throws(WireError) -> [UInt8] {
        let start = scanner.mark().offset
        try skip()
        return Array(scanner.bytes[start..<scanner.offset])
    }

    /// An object's JSON text, as written.
    mutating func rawObject(_ path: @autoclosure () -> String) throws(WireError) -> [UInt8] {
        guard kind() == .object else { throw Self.mustBe("an object", path()) }
        return try raw()
    }

    /// An array of strings.
    mutating func strings(_ path: @autoclosure () -> String) throws(WireError) -> [String] {
        try enterArray(path())
        var values: [String] = []
        var index = 0
        while try nextElement() {
            values.append(try string("\(path())[\(index)]"))
            index += 1
        }
        return values
    }
}
