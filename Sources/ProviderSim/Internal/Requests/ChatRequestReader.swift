import EdgeJSON

/// Reads the fields ``ChatRequest`` needs from a chat request body with EdgeJSON's ``JSONScanner``, the project's
/// one JSON parser.
///
/// The whole document is validated (RFC 8259: escapes, surrogate pairs and UTF-8 inside strings included), so a
/// body that is not JSON is refused and answered 400, as Foundation's parser had it refused. Unlike Foundation, a
/// trailing comma is refused too: real providers are strict, and so is the router that sends the simulator its
/// requests. Of the values only the top-level `model` (a string), `stream` and `stream_options.include_usage` are
/// kept (booleans; anything else reads as false, as the `as? Bool` casts did), and the answer's options (`n`,
/// `logprobs`, `reasoning_effort`, `tools`, `tool_choice`; see ``AnswerOptions`` for the tool rule). A duplicated
/// key keeps its last value.
enum ChatRequestReader {
    /// The request, or nil if `bytes` is not a JSON object with a string `model`.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> ChatRequest? {
        var scanner = JSONScanner(bytes)
        var model: String?
        var stream = false
        var includeUsage = false
        var options = AnswerOptions()
        var tools = ToolRule()
        do {
            try scanner.enterObject()
            while let key = try scanner.nextMember() {
                // A repeated key replaces the earlier value whole; a value of the wrong type counts as absent.
                switch key {
                case "model": model = try text(&scanner)
                case "stream": stream = try flag(&scanner)
                case "stream_options": includeUsage = try usageOption(&scanner)
                case "n": options.choices = min(max(try scanner.lenientCount() ?? 1, 1), AnswerOptions.maxChoices)
                case "logprobs": options.logprobs = try scanner.lenientFlag()
                case "reasoning_effort":
                    let effort = try scanner.lenientString()
                    options.thinking = effort != nil && effort != "none"
                case "tools": try readTools(&scanner, into: &tools)
                case "tool_choice": try readToolChoice(&scanner, into: &tools)
                default: try scanner.skipValue()
                }
            }
            try scanner.finish()
        } catch {
            return nil
        }
        guard let model else { return nil }
        options.toolCall = tools.call
        return ChatRequest(model: model, stream: stream, includeUsage: includeUsage, options: options)
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

    /// `tools: [{"type":"function","function":{"name":...}}]`: whether any is declared, and the first name.
    private static func readTools(_ scanner: inout JSONScanner, into rule: inout ToolRule) throws(JSONScanner.Failure) {
        rule.declared = false
        rule.firstTool = nil
        try scanner.lenientArray { (scanner: inout JSONScanner) throws(JSONScanner.Failure) in
            rule.declared = true
            try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                guard key.matches("function") else { return try scanner.skipValue() }
                try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                    guard key.matches("name") else { return try scanner.skipValue() }
                    let name = try scanner.lenientString()
                    if rule.firstTool == nil { rule.firstTool = name }
                }
            }
        }
    }

    /// `tool_choice`: `"required"` forces a call; `{"type":"function","function":{"name":...}}` forces that one.
    private static func readToolChoice(_ scanner: inout JSONScanner, into rule: inout ToolRule) throws(JSONScanner.Failure) {
        rule.forced = false
        rule.forcedName = nil
        switch try scanner.peekKind() {
        case .string: rule.forced = try scanner.readString() == "required"
        case .object:
            try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                switch key {
                case "type": if try scanner.lenientString() == "function" { rule.forced = true }
                case "function":
                    try scanner.lenientObject { (scanner: inout JSONScanner, key: JSONScanner.Key) throws(JSONScanner.Failure) in
                        guard key.matches("name") else { return try scanner.skipValue() }
                        rule.forcedName = try scanner.lenientString()
                    }
                default: try scanner.skipValue()
                }
            }
        default: try scanner.skipValue()
        }
    }
}
