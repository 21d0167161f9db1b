import EdgeJSON

/// Lenient reads for request fields: a value of the wrong type is passed over (still validated) and reads as
/// absent, as real providers' first reads of a field mostly do; only the JSON syntax itself is refused.
extension JSONScanner {
    /// A string value, or nil for any other value.
    mutating func lenientString() throws(JSONScanner.Failure) -> String? {
        guard try peekKind() == .string else {
            try skipValue()
            return nil
        }
        return try readString()
    }

    /// True for JSON `true`; false for any other value.
    mutating func lenientFlag() throws(JSONScanner.Failure) -> Bool {
        guard try peekKind() == .bool else {
            try skipValue()
            return false
        }
        return try readBool()
    }

    /// A whole number, clamped to `0...(1 << 40)` so no later arithmetic on it can overflow; nil for any other
    /// value (a fraction included).
    mutating func lenientCount() throws(JSONScanner.Failure) -> Int? {
        guard try peekKind() == .number else {
            try skipValue()
            return nil
        }
        let span = try readNumberSpan()
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[span]), as: UTF8.self)
        guard let value = Double(text), value.isFinite, value.rounded(.down) == value else { return nil }
        return Int(min(max(value, 0), Double(1 << 40)))
    }

    /// Whether the value is a non-empty array (passed over either way).
    mutating func isNonEmptyArray() throws(JSONScanner.Failure) -> Bool {
        guard try peekKind() == .array else {
            try skipValue()
            return false
        }
        try enterArray()
        var any = false
        while try nextElement() {
            any = true
            try skipValue()
        }
        return any
    }

    /// Walks the object that comes next, calling `member` for each key (which must read or skip the value); any
    /// other value is passed over and `member` is not called.
    mutating func lenientObject(
        _ member: (inout JSONScanner, JSONScanner.Key) throws(JSONScanner.Failure) -> Void
    ) throws(JSONScanner.Failure) {
        guard try peekKind() == .object else {
            try skipValue()
            return
        }
        try enterObject()
        while let key = try nextMember() { try member(&self, key) }
    }

    /// Walks the array that comes next, calling `element` for each element (which must read or skip it); any
    /// other value is passed over.
    mutating func lenientArray(
        _ element: (inout JSONScanner) throws(JSONScanner.Failure) -> Void
    ) throws(JSONScanner.Failure) {
        guard try peekKind() == .array else {
            try skipValue()
            return
        }
        try enterArray()
        while try nextElement() { try element(&self) }
    }
}
