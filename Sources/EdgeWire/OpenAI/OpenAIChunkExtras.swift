import EdgeJSON

/// What an OpenAI chunk carries beyond the neutral events, for an OpenAI client's non-streaming answer assembled
/// from an OpenAI provider's stream: the answer must hold every field the provider's own non-streaming answer would
/// (`system_fingerprint`, `service_tier`, each choice's `logprobs` and `annotations`, the whole `usage` with its
/// details), kept as the provider wrote them.
struct OpenAIChunkExtras {
    struct Choice {
        var index: Int
        /// Elements of `logprobs.content` and `logprobs.refusal`, as written; nil when the chunk had no `logprobs`.
        var logprobsContent: [[UInt8]]?
        var logprobsRefusal: [[UInt8]]?
        /// Elements of `delta.annotations`, as written.
        var annotations: [[UInt8]] = []
    }

    var systemFingerprint: String?
    var serviceTier: String?
    /// The `usage` object as written.
    var usage: [UInt8]?
    var choices: [Choice] = []

    /// Reads the extras of one chunk into `extras`, emptied first: one value reused chunk after chunk keeps its
    /// array of choices (the chunk was already validated by ``OpenAIChunk``: a failure here only means there is
    /// nothing to keep).
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, into extras: inout OpenAIChunkExtras) throws(JSONScanner.Failure) {
        extras.systemFingerprint = nil
        extras.serviceTier = nil
        extras.usage = nil
        extras.choices.removeAll(keepingCapacity: true)
        var scanner = JSONScanner(bytes)
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if try scanner.consumeNull() { continue }
            switch key {
            case "system_fingerprint": extras.systemFingerprint = try scanner.readString()
            case "service_tier": extras.serviceTier = try scanner.readString()
            case "usage": extras.usage = try scanner.readRawValue()
            case "choices":
                try scanner.enterArray()
                while try scanner.nextElement() { extras.choices.append(try readChoice(&scanner)) }
            default: try scanner.skipValue()
            }
        }
    }

    private static func readChoice(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> Choice {
        var choice = Choice(index: 0)
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            if try scanner.consumeNull() { continue }
            switch key {
            case "index": choice.index = try scanner.readInt()
            case "logprobs":
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    if try scanner.consumeNull() { continue }
                    switch key {
                    case "content": choice.logprobsContent = try elements(&scanner)
                    case "refusal": choice.logprobsRefusal = try elements(&scanner)
                    default: try scanner.skipValue()
                    }
                }
            case "delta":
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    if key.matches("annotations"), try !scanner.consumeNull() {
                        choice.annotations = try elements(&scanner)
                    } else {
                        try scanner.skipValue()
                    }
                }
            default: try scanner.skipValue()
            }
        }
        return choice
    }

    /// The elements of an array, each as written.
    private static func elements(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> [[UInt8]] {
        var values: [[UInt8]] = []
        try scanner.enterArray()
        while try scanner.nextElement() { values.append(try scanner.readRawValue()) }
        return values
    }
}
