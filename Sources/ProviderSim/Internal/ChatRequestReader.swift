import EdgeJSON

/// Reads the fields ``ChatRequest`` needs from a chat request body with EdgeJSON's ``JSONScanner``, the project's
/// one JSON parser.
///
/// The whole document is validated (RFC 8259: escapes, surrogate pairs and UTF-8 inside strings included), so a
/// body that is not JSON is refused and answered 400, as Foundation's parser had it refused. Unlike Foundation, a
/// trailing comma is refused too: real providers are strict, and so is the router that sends the simulator its
/// requests. Of the values only the top-level `model` (a string), `stream` and `stream_options.include_usage` are
/// kept (booleans; anything else reads as false, as the `as? Bool` casts did). A duplicated key keeps its last value.
enum ChatRequestReader {
    /// The request, or nil if `bytes` is not a JSON object with a string `model`.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> ChatRequest? {
        var scanner = JSONScanner(bytes)
        var model: String?
        var stream = false
        var includeUsage = false
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                // A repeated key replaces the earlier value whole; a value of the wrong type counts as absent.
                switch key {
                case "model": model = try text(&scanner)
                case "stream": stream = try flag(&scanner)
                case "stream_options": includeUsage = try usageOption(&scanner)
                default: try scanner.skipValue()
                }
            }
            try scanner.finish()
        } catch {
            return nil
        }
        guard let model else { return nil }
        return ChatRequest(model: model, stream: stream, includeUsage: includeUsage)
    }

    /// A string value; any other value is passed over (still validated) and reads as nil.
    private static func text(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> String? {
        guard try scanner.peekKind() == .string else {
            try scanner.skipValue()
            return nil
        }
        return try scanner.readString()
    }

    /// True for JSON `true`; any other value is passed over (still validated) and reads as false.
    private static func flag(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Bool {
        guard try scanner.peekKind() == .bool else {
            try scanner.skipValue()
            return false
        }
        return try scanner.readBool()
    }

    /// `include_usage` of a `stream_options` object; false when it is missing or the value is not an object.
    private static func usageOption(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Bool {
        guard try scanner.peekKind() == .object else {
            try scanner.skipValue()
            return false
        }
        try scanner.enterObject()
        var includeUsage = false
        while let key = try scanner.nextMember() {
            if key.matches("include_usage") {
                includeUsage = try flag(&scanner)
            } else {
                try scanner.skipValue()
            }
        }
        return includeUsage
    }
}
