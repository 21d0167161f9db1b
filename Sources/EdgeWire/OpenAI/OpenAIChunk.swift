import EdgeJSON
/// Reads the fields of an OpenAI `chat.completion.chunk` that the router acts on straight from the frame's bytes,
/// and turns them into ``StreamEvent``s. Everything else in the frame is validated, skipped, and forwarded
/// untouched on the pass-through path.
///
/// The types are those OpenAI documents, checked as strictly as the `Codable` tree this replaced: a field of the
/// wrong type makes the frame malformed, `null` counts as absent, unknown fields are ignored whatever they hold.
/// Some OpenAI-compatible servers send `choices: null`, or put `usage` on a chunk whose choices are not empty.
public enum OpenAIChunk {
    /// What one chunk says.
    public struct Reading {
        var events: [StreamEvent]
        /// The chunk carries only usage (the `include_usage` chunk, whose `choices` is empty).
        var isUsageOnly: Bool
        /// The events begin with ``StreamEvent/start(id:model:created:)``.
        var started: Bool
    }

    /// Reads one chunk; `wantsStart` asks for the `start` event (the first chunk with an `id`).
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>, wantsStart: Bool) throws(JSONScanner.Failure) -> Reading {
        var scanner = JSONScanner(bytes)
        try scanner.enterObject()
        var id: JSONScanner.StringSpan?
        var model: JSONScanner.StringSpan?
        var created: Int?
        var choices: JSONScanner.Mark?
        var usage: TokenUsage?
        var error: (message: String?, type: String?)?
        while let key = try scanner.nextMember() {
            switch key {
            case "id": id = try scanner.readNullableStringSpan()
            case "model": model = try scanner.readNullableStringSpan()
            case "created": created = try scanner.readNullableInt()
            case "choices": choices = try scanner.markNullableArray()
            case "usage": usage = try readUsage(&scanner)
            case "error": error = try readError(&scanner)
            default: try scanner.skipValue()
            }
        }
        try scanner.finish()

        var events: [StreamEvent] = []
        var started = false
        if wantsStart, error == nil, let id {
            // The first chunk usually carries the role too: room for both, and one allocation.
            events.reserveCapacity(2)
            started = true
            events.append(.start(id: scanner.string(id), model: model.map(scanner.string) ?? "", created: created ?? 0))
        }
        var hasChoices = false
        if let choices {
            var choiceScanner = scanner.resumed(at: choices)
            hasChoices = try readChoices(&choiceScanner, into: &events)
        }
        if let error {
            // The choices were still read: a chunk whose fields have the wrong types is malformed either way.
            return Reading(
                events: [.error(message: error.message ?? "the provider reported an error", type: error.type)],
                isUsageOnly: false, started: false)
        }
        if let usage { events.append(.usage(usage)) }
        return Reading(events: events, isUsageOnly: !hasChoices && usage != nil, started: started)
    }

    private static func readUsage(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> TokenUsage? {
        if try scanner.consumeNull() { return nil }
        try scanner.enterObject()
        var usage = TokenUsage(promptTokens: 0, completionTokens: 0)
        while let key = try scanner.nextMember() {
            switch key {
            case "prompt_tokens": usage.promptTokens = try scanner.readNullableInt() ?? 0
            case "completion_tokens": usage.completionTokens = try scanner.readNullableInt() ?? 0
            case "prompt_tokens_details": usage.cacheReadTokens = try readDetail(&scanner, "cached_tokens")
            case "completion_tokens_details": usage.reasoningTokens = try readDetail(&scanner, "reasoning_tokens")
            default: try scanner.skipValue()
            }
        }
        return usage
    }

    /// One count of a usage details object (`prompt_tokens_details.cached_tokens`), 0 when absent.
    private static func readDetail(_ scanner: inout JSONScanner, _ name: StaticString) throws(JSONScanner.Failure) -> Int {
        if try scanner.consumeNull() { return 0 }
        var value = 0
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if key.matches(name) { value = try scanner.readNullableInt() ?? 0 } else { try scanner.skipValue() }
        }
        return value
    }

    private static func readError(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> (message: String?, type: String?)? {
        if try scanner.consumeNull() { return nil }
        try scanner.enterObject()
        var message: String?
        var type: String?
        while let key = try scanner.nextMember() {
            switch key {
            case "message": message = try scanner.readNullableString()
            case "type": type = try scanner.readNullableString()
            default: try scanner.skipValue()
            }
        }
        return (message, type)
    }

    /// Appends the events of each choice; returns whether there was any choice.
    private static func readChoices(
        _ scanner: inout JSONScanner, into events: inout [StreamEvent]
    ) throws(JSONScanner.Failure) -> Bool {
        try scanner.enterArray()
        var any = false
        while try scanner.nextElement() {
            any = true
            try scanner.enterObject()
            var index: Int?
            var delta: JSONScanner.Mark?
            var finishReason: JSONScanner.StringSpan?
            while let key = try scanner.nextMember() {
                switch key {
                case "index": index = try scanner.readNullableInt()
                case "delta": delta = try scanner.markNullableObject()
                case "finish_reason": finishReason = try scanner.readNullableStringSpan()
                default: try scanner.skipValue()
                }
            }
            // The delta is read once the choice's index is known, wherever the index came in the object.
            let choice = index ?? 0
            if let delta {
                var deltaScanner = scanner.resumed(at: delta)
                try readDelta(&deltaScanner, choice: choice, into: &events)
            }
            if let finishReason { events.append(.finish(choice: choice, reason: scanner.string(finishReason))) }
        }
        return any
    }

    private static func readDelta(
        _ scanner: inout JSONScanner, choice: Int, into events: inout [StreamEvent]
    ) throws(JSONScanner.Failure) {
        try scanner.enterObject()
        var role: JSONScanner.StringSpan?
        var reasoning: JSONScanner.StringSpan?
        var content: JSONScanner.StringSpan?
        var refusal: JSONScanner.StringSpan?
        var toolCalls: JSONScanner.Mark?
        while let key = try scanner.nextMember() {
            switch key {
            case "content": content = try scanner.readNullableStringSpan()
            case "role": role = try scanner.readNullableStringSpan()
            case "reasoning_content": reasoning = try scanner.readNullableStringSpan()
            case "refusal": refusal = try scanner.readNullableStringSpan()
            case "tool_calls": toolCalls = try scanner.markNullableArray()
            default: try scanner.skipValue()
            }
        }
        if let role { events.append(.role(choice: choice, role: scanner.string(role))) }
        if let reasoning, !reasoning.isEmpty { events.append(.reasoning(choice: choice, text: scanner.string(reasoning))) }
        if let content, !content.isEmpty { events.append(.text(choice: choice, text: scanner.string(content))) }
        if let refusal, !refusal.isEmpty { events.append(.refusal(choice: choice, text: scanner.string(refusal))) }
        if let toolCalls {
            var callScanner = scanner.resumed(at: toolCalls)
            try readToolCalls(&callScanner, choice: choice, into: &events)
        }
    }

    private static func readToolCalls(
        _ scanner: inout JSONScanner, choice: Int, into events: inout [StreamEvent]
    ) throws(JSONScanner.Failure) {
        try scanner.enterArray()
        while try scanner.nextElement() {
            try scanner.enterObject()
            var index: Int?
            var id: String?
            var name: String?
            var arguments: String?
            while let key = try scanner.nextMember() {
                switch key {
                case "index": index = try scanner.readNullableInt()
                case "id": id = try scanner.readNullableString()
                case "function":
                    name = nil
                    arguments = nil
                    if try scanner.consumeNull() { continue }
                    try scanner.enterObject()
                    while let key = try scanner.nextMember() {
                        switch key {
                        case "name": name = try scanner.readNullableString()
                        case "arguments": arguments = try scanner.readNullableString()
                        default: try scanner.skipValue()
                        }
                    }
                default: try scanner.skipValue()
                }
            }
            events.append(.toolCall(choice: choice, index: index ?? 0, id: id, name: name, arguments: arguments ?? ""))
        }
    }
}
