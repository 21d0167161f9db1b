import EdgeJSON

/// Reads the members of one Anthropic stream event that the router acts on, straight from the frame's bytes.
/// A member of the wrong type makes the frame malformed; `null` counts as absent; unknown members are skipped.
enum AnthropicStreamEvent {
    /// The members of an event, found in one walk; nested objects are marked and read once the type is known.
    struct Members {
        var type: JSONScanner.StringSpan?
        var index: Int?
        var message: JSONScanner.Mark?
        var contentBlock: JSONScanner.Mark?
        var delta: JSONScanner.Mark?
        var usage: JSONScanner.Mark?
        var error: JSONScanner.Mark?
    }

    /// Usage figures, each present or not (`message_delta` may omit the input counts).
    struct Usage {
        var input: Int?
        var output: Int?
        var cacheRead: Int?
        var cacheWrite: Int?
    }

    /// The fields of a `message`, a `content_block` or a `delta` object that the decoder reads.
    struct Object {
        var type: JSONScanner.StringSpan?
        var id: JSONScanner.StringSpan?
        var name: JSONScanner.StringSpan?
        var model: JSONScanner.StringSpan?
        var text: JSONScanner.StringSpan?
        var thinking: JSONScanner.StringSpan?
        var signature: JSONScanner.StringSpan?
        /// A `redacted_thinking` block's encrypted reasoning.
        var data: JSONScanner.StringSpan?
        var partialJSON: JSONScanner.StringSpan?
        var stopReason: JSONScanner.StringSpan?
        var message: JSONScanner.StringSpan?
        var usage: JSONScanner.Mark?
    }

    static func readMembers(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Members {
        try scanner.enterObject()
        var members = Members()
        while let key = try scanner.nextMember() {
            switch key {
            case "type": members.type = try scanner.readNullableStringSpan()
            case "index": members.index = try scanner.readNullableInt()
            case "message": members.message = try scanner.markNullableObject()
            case "content_block": members.contentBlock = try scanner.markNullableObject()
            case "delta": members.delta = try scanner.markNullableObject()
            case "usage": members.usage = try scanner.markNullableObject()
            case "error": members.error = try scanner.markNullableObject()
            default: try scanner.skipValue()
            }
        }
        try scanner.finish()
        return members
    }

    /// Reads a nested object's string members (and the `usage` a `message` holds).
    static func readObject(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Object {
        try scanner.enterObject()
        var object = Object()
        while let key = try scanner.nextMember() {
            switch key {
            case "type": object.type = try scanner.readNullableStringSpan()
            case "id": object.id = try scanner.readNullableStringSpan()
            case "name": object.name = try scanner.readNullableStringSpan()
            case "model": object.model = try scanner.readNullableStringSpan()
            case "text": object.text = try scanner.readNullableStringSpan()
            case "thinking": object.thinking = try scanner.readNullableStringSpan()
            case "signature": object.signature = try scanner.readNullableStringSpan()
            case "data": object.data = try scanner.readNullableStringSpan()
            case "partial_json": object.partialJSON = try scanner.readNullableStringSpan()
            case "stop_reason": object.stopReason = try scanner.readNullableStringSpan()
            case "message": object.message = try scanner.readNullableStringSpan()
            case "usage": object.usage = try scanner.markNullableObject()
            default: try scanner.skipValue()
            }
        }
        return object
    }

    static func readUsage(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Usage {
        try scanner.enterObject()
        var usage = Usage()
        while let key = try scanner.nextMember() {
            switch key {
            case "input_tokens": usage.input = try scanner.readNullableInt()
            case "output_tokens": usage.output = try scanner.readNullableInt()
            case "cache_read_input_tokens": usage.cacheRead = try scanner.readNullableInt()
            case "cache_creation_input_tokens": usage.cacheWrite = try scanner.readNullableInt()
            default: try scanner.skipValue()
            }
        }
        return usage
    }
}
