import EdgeJSON

/// Small readers shared by the Responses provider decoders.
enum ResponsesJSON {
    /// A string member `name` of the object that comes next (nil when absent, null or not a string); anything
    /// that is not an object is skipped.
    static func readMember(_ scanner: inout JSONScanner, _ name: StaticString) throws(JSONScanner.Failure) -> String? {
        guard try scanner.peekKind() == .object else {
            try scanner.skipValue()
            return nil
        }
        var value: String?
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if key.matches(name), try scanner.peekKind() == .string {
                value = try scanner.readString()
            } else {
                try scanner.skipValue()
            }
        }
        return value
    }

    /// A count: an integer, or nil for null or any other kind of value (a provider's odd field is not an error).
    static func readCount(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Int? {
        guard try scanner.peekKind() == .number else {
            try scanner.skipValue()
            return nil
        }
        return try scanner.readInt()
    }

    /// An `error` object (`{"code","message"}`), or nil for null.
    static func readError(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> (code: String?, message: String)? {
        guard try scanner.peekKind() == .object else {
            try scanner.skipValue()
            return nil
        }
        var code: String?
        var message = ""
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "code": code = try stringish(&scanner)
            case "message": message = try stringish(&scanner) ?? ""
            default: try scanner.skipValue()
            }
        }
        return (code, message)
    }

    /// A string, or nil for any other value (skipped).
    static func stringish(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> String? {
        guard try scanner.peekKind() == .string else {
            try scanner.skipValue()
            return nil
        }
        return try scanner.readString()
    }

    /// A Responses `usage` object in neutral terms: `input_tokens` (cached ones included, as OpenAI counts them),
    /// `input_tokens_details.cached_tokens`, `output_tokens` (reasoning included) and
    /// `output_tokens_details.reasoning_tokens`. Nil for null.
    static func readUsage(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> TokenUsage? {
        guard try scanner.peekKind() == .object else {
            try scanner.skipValue()
            return nil
        }
        var usage = TokenUsage(promptTokens: 0, completionTokens: 0)
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "input_tokens": usage.promptTokens = try readCount(&scanner) ?? 0
            case "output_tokens": usage.completionTokens = try readCount(&scanner) ?? 0
            case "input_tokens_details": usage.cacheReadTokens = try readDetail(&scanner, "cached_tokens")
            case "output_tokens_details": usage.reasoningTokens = try readDetail(&scanner, "reasoning_tokens")
            default: try scanner.skipValue()
            }
        }
        return usage
    }

    private static func readDetail(_ scanner: inout JSONScanner, _ name: StaticString) throws(JSONScanner.Failure) -> Int {
        guard try scanner.peekKind() == .object else {
            try scanner.skipValue()
            return 0
        }
        var value = 0
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if key.matches(name) { value = try readCount(&scanner) ?? 0 } else { try scanner.skipValue() }
        }
        return value
    }

    /// The neutral finish reason of a response that ended with `status`, given its incomplete reason and whether
    /// it called functions.
    static func finishReason(status: String?, incompleteReason: String?, madeCalls: Bool) -> String {
        if status == "incomplete" {
            return incompleteReason == "content_filter" ? FinishReason.contentFilter : FinishReason.length
        }
        return madeCalls ? FinishReason.toolCalls : FinishReason.stop
    }
}
