import EdgeJSON

/// Reading a request body that was validated whole beforehand (``validateObject(_:)``): a scanner failure while
/// walking it again can only be a value of the wrong kind, so every read here names the field it was reading, and
/// the path is built only when it is needed for the error.
extension JSONScanner {
    /// The error for a body that is not JSON (only reachable if a caller skipped ``validateObject(_:)``).
    static var notJSON: WireError { WireError("The request body is not valid JSON.") }

    /// Checks that `bytes` hold one JSON object and nothing else, so later walks only meet kind mismatches.
    static func validateObject(_ bytes: UnsafeBufferPointer<UInt8>) throws(WireError) {
        var scanner = JSONScanner(bytes)
        do {
            switch try scanner.peekKind() {
            case .object:
                try scanner.skipValue()
                try scanner.finish()
            case .array:
                try scanner.skipValue()
                try scanner.finish()
                throw WireError("The request body must be a JSON object.")
            default:
                throw notJSON
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw notJSON
        }
    }

    /// The kind of the next value.
    mutating func fieldKind() throws(WireError) -> ValueKind {
        do { return try peekKind() } catch { throw Self.notJSON }
    }

    /// Consumes `null` if it comes next.
    mutating func takeNull() throws(WireError) -> Bool {
        do { return try consumeNull() } catch { throw Self.notJSON }
    }

    /// Reads a string, or names `path` as needing one.
    mutating func requireString(_ path: @autoclosure () -> String) throws(WireError) -> String {
        do { return try readString() } catch { throw WireError.mustBe("a string", path()) }
    }

    /// Reads a string, `null` as nil.
    mutating func optionalString(_ path: @autoclosure () -> String) throws(WireError) -> String? {
        if try takeNull() { return nil }
        return try requireString(path())
    }

    /// Reads an integer that fits `Int`, or names `path` as needing one.
    mutating func requireInt(_ path: @autoclosure () -> String) throws(WireError) -> Int {
        do { return try readInt() } catch { throw WireError.mustBe("an integer", path()) }
    }

    /// Reads a boolean, or names `path` as needing one.
    mutating func requireBool(_ path: @autoclosure () -> String) throws(WireError) -> Bool {
        do { return try readBool() } catch { throw WireError.mustBe("a boolean", path()) }
    }

    /// Reads a number as the client wrote it, or names `path` as needing one.
    mutating func requireNumber(_ path: @autoclosure () -> String) throws(WireError) -> JSONNumber {
        do {
            let range = try readNumberSpan()
            return JSONNumber(Array(bytes[range]))
        } catch {
            throw WireError.mustBe("a number", path())
        }
    }

    /// Reads any value as its JSON text, as the client wrote it.
    mutating func rawValue() throws(WireError) -> RawJSON {
        let start = mark().offset
        do { try skipValue() } catch { throw Self.notJSON }
        return RawJSON(Array(bytes[start..<offset]))
    }

    /// Enters the object that must come next, or names `path` as needing one.
    mutating func requireObject(_ path: @autoclosure () -> String) throws(WireError) {
        do { try enterObject() } catch { throw WireError.mustBe("an object", path()) }
    }

    /// Enters the array that must come next, or names `path` as needing one.
    mutating func requireArray(_ path: @autoclosure () -> String) throws(WireError) {
        do { try enterArray() } catch { throw WireError.mustBe("an array", path()) }
    }

    /// The next member's key, nil at the object's end.
    mutating func member() throws(WireError) -> Key? {
        do { return try nextMember() } catch { throw Self.notJSON }
    }

    /// Whether another element comes.
    mutating func element() throws(WireError) -> Bool {
        do { return try nextElement() } catch { throw Self.notJSON }
    }

    /// Passes over the next value.
    mutating func skipField() throws(WireError) {
        do { try skipValue() } catch { throw Self.notJSON }
    }

    /// Whether a validated string span is exactly `literal` (no allocation for unescaped text).
    func spanIs(_ span: StringSpan, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { expected in
            guard !span.hasEscapes else { return string(span).utf8.elementsEqual(expected) }
            guard expected.count == span.end &- span.start else { return false }
            return bytes[span.start..<span.end].elementsEqual(expected)
        }
    }
}

extension WireError {
    /// `path` has a value of the wrong kind: the message names it the way Anthropic's API does (`path: …`).
    static func mustBe(_ kind: String, _ path: String) -> WireError {
        WireError("\(path): Input should be \(kind).", param: path)
    }

    /// `path` is required and missing.
    static func required(_ path: String) -> WireError {
        WireError("\(path): Field required.", param: path)
    }
}
