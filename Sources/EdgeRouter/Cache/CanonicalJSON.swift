import EdgeJSON

/// A canonical re-serialisation of a JSON document, so that two requests that mean the same thing give the same
/// bytes: objects' members sorted by their key's UTF-8 bytes (of duplicate keys the last wins, as the dialects'
/// readers have it), strings decoded and written again with the one escaping ``JSONOutput`` writes, whitespace
/// dropped. Numbers keep the client's text (`0.7` and `0.70` are different keys: rarely seen, and never a wrong
/// answer, only a missed hit).
///
/// Top-level members named in `excluding` are left out: the fields that do not change the answer
/// (``CacheKey/excludedFields``). What the key needs to know about sampling (temperature and seed) is read on the
/// way, so the body is walked once.
struct CanonicalJSON {
    /// The canonical text.
    var bytes: [UInt8] = []
    /// The top-level `temperature` (OpenAI, Anthropic) or `generationConfig.temperature` (Gemini), as written.
    var temperature: Double?
    /// Whether a `seed` was given (top level, or in Gemini's `generationConfig`), and not null.
    var hasSeed = false

    /// Canonicalises `body`; throws on text that is not JSON (a body the dialect's reader accepted always is).
    init(_ body: UnsafeBufferPointer<UInt8>, excluding: Set<String>) throws(JSONScanner.Failure) {
        var scanner = JSONScanner(body)
        var output: [UInt8] = []
        output.reserveCapacity(body.count)
        try write(&scanner, level: 0, path: .root, excluding: excluding, into: &output)
        try scanner.finish()
        bytes = output
    }

    /// Where a value sits, for the few fields the key reads.
    private enum Place {
        case root
        case generationConfig
        case other
    }

    private mutating func write(
        _ scanner: inout JSONScanner, level: Int, path: Place, excluding: Set<String>, into output: inout [UInt8]
    ) throws(JSONScanner.Failure) {
        switch try scanner.peekKind() {
        case .object:
            try scanner.enterObject()
            var members: [(key: [UInt8], value: [UInt8])] = []
            while let key = try scanner.nextMember() {
                let name = key.string
                if level == 0, excluding.contains(name) {
                    try scanner.skipValue()
                    continue
                }
                let place: Place =
                    switch (path, name) {
                    case (.root, "generationConfig"): .generationConfig
                    default: .other
                    }
                if path == .root || path == .generationConfig {
                    let mark = scanner.mark()
                    try noteSampling(name, scanner.resumed(at: mark))
                }
                var value: [UInt8] = []
                try write(&scanner, level: level + 1, path: place, excluding: excluding, into: &value)
                var keyText: [UInt8] = []
                keyText.writeJSONString(name)
                if let existing = members.firstIndex(where: { $0.key == keyText }) { members.remove(at: existing) }
                members.append((keyText, value))
            }
            members.sort { $0.key.lexicographicallyPrecedes($1.key) }
            output.append(UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: member.key)
                output.append(UInt8(ascii: ":"))
                output.append(contentsOf: member.value)
            }
            output.append(UInt8(ascii: "}"))
        case .array:
            try scanner.enterArray()
            output.append(UInt8(ascii: "["))
            var first = true
            while try scanner.nextElement() {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                try write(&scanner, level: level + 1, path: .other, excluding: excluding, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .string:
            output.writeJSONString(try scanner.readString())
        case .number:
            let span = try scanner.readNumberSpan()
            output.append(contentsOf: scanner.bytes[span])
        case .bool:
            output.writeJSONText(try scanner.readBool() ? "true" : "false")
        case .null:
            _ = try scanner.consumeNull()
            output.writeJSONText("null")
        }
    }

    /// Reads `temperature` and `seed` where the dialects put them (the top level, Gemini's `generationConfig`).
    private mutating func noteSampling(_ name: String, _ value: JSONScanner) throws(JSONScanner.Failure) {
        var value = value
        switch name {
        case "temperature":
            guard try value.peekKind() == .number else { return }
            let span = try value.readNumberSpan()
            temperature = Double(String(decoding: value.bytes[span], as: UTF8.self))
        case "seed":
            hasSeed = try value.peekKind() != .null
        default:
            break
        }
    }
}
