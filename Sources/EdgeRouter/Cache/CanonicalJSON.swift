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
        var work = Work()
        try write(&scanner, level: 0, path: .root, excluding: excluding, into: &output, work: &work)
        try scanner.finish()
        bytes = output
    }

    /// Where a value sits, for the few fields the key reads.
    private enum Place {
        case root
        case generationConfig
        case other
    }

    /// An object's member as written into the output: its quoted key, then `:` and its value.
    private struct Member {
        var start: Int
        var keyEnd: Int
        var end: Int
    }

    /// Buffers shared by every object of a document: the members of the objects being written (a stack: an object's
    /// members follow those of the objects around it), and a copy of an object being put in order.
    private struct Work {
        var members: [Member] = []
        var scratch: [UInt8] = []
    }

    /// Writes a value's canonical text at the end of `output`. An object's members are written as they come, then
    /// put in order in place: no buffer per member or per object.
    private mutating func write(
        _ scanner: inout JSONScanner, level: Int, path: Place, excluding: Set<String>, into output: inout [UInt8],
        work: inout Work
    ) throws(JSONScanner.Failure) {
        switch try scanner.peekKind() {
        case .object:
            try scanner.enterObject()
            let objectStart = output.count
            output.append(UInt8(ascii: "{"))
            let base = work.members.count
            while let key = try scanner.nextMember() {
                var place = Place.other
                if level == 0 || path == .generationConfig {
                    // Only near the top are names needed as text: the excluded fields, and the sampling ones.
                    let name = key.string
                    if level == 0, excluding.contains(name) {
                        try scanner.skipValue()
                        continue
                    }
                    if path == .root, name == "generationConfig" { place = .generationConfig }
                    try noteSampling(name, scanner.resumed(at: scanner.mark()))
                }
                if work.members.count > base { output.append(UInt8(ascii: ",")) }
                let start = output.count
                Self.writeString(key.span, of: key.bytes, into: &output)
                let keyEnd = output.count
                output.append(UInt8(ascii: ":"))
                try write(&scanner, level: level + 1, path: place, excluding: excluding, into: &output, work: &work)
                work.members.append(Member(start: start, keyEnd: keyEnd, end: output.count))
            }
            output.append(UInt8(ascii: "}"))
            Self.sortMembers(from: base, objectStart: objectStart, in: &output, work: &work)
            work.members.removeSubrange(base...)
        case .array:
            try scanner.enterArray()
            output.append(UInt8(ascii: "["))
            var first = true
            while try scanner.nextElement() {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                try write(&scanner, level: level + 1, path: .other, excluding: excluding, into: &output, work: &work)
            }
            output.append(UInt8(ascii: "]"))
        case .string:
            Self.writeString(try scanner.readStringSpan(), of: scanner.bytes, into: &output)
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

    /// Writes a string with the one escaping ``JSONOutput`` writes. A string without escapes is that already (the
    /// scanner let no quote, backslash or control character through), so its bytes are copied as they are.
    private static func writeString(_ span: JSONScanner.StringSpan, of bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        guard span.hasEscapes else {
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[span.start..<span.end]))
            output.append(UInt8(ascii: "\""))
            return
        }
        output.writeJSONString(JSONScanner.decode(span, in: bytes))
    }

    /// Puts the members of the object written at `objectStart` (the end of `output`; its members are those of
    /// `work.members` from `base`) in the order of their quoted keys' bytes, the last of duplicate keys kept.
    /// Members already in order, the common case for a nested object written by a program, stay where they are.
    private static func sortMembers(from base: Int, objectStart: Int, in output: inout [UInt8], work: inout Work) {
        func key(_ member: Member) -> ArraySlice<UInt8> { output[member.start..<member.keyEnd] }
        var ordered = true
        var index = base + 1
        while index < work.members.count {
            if !key(work.members[index - 1]).lexicographicallyPrecedes(key(work.members[index])) {
                ordered = false
                break
            }
            index += 1
        }
        guard !ordered else { return }
        // Duplicates stay in the order they came (their start), so that the last one of each wins below.
        work.members[base...].sort { left, right in
            let (leftKey, rightKey) = (key(left), key(right))
            return leftKey.elementsEqual(rightKey) ? left.start < right.start : leftKey.lexicographicallyPrecedes(rightKey)
        }
        work.scratch.removeAll(keepingCapacity: true)
        work.scratch.append(contentsOf: output[objectStart...])
        output.removeSubrange(objectStart...)
        output.append(UInt8(ascii: "{"))
        func copied(_ start: Int, _ end: Int) -> ArraySlice<UInt8> { work.scratch[(start - objectStart)..<(end - objectStart)] }
        var first = true
        for position in base..<work.members.count {
            let member = work.members[position]
            if position + 1 < work.members.count {
                let next = work.members[position + 1]
                // A later duplicate replaces this one.
                if copied(next.start, next.keyEnd).elementsEqual(copied(member.start, member.keyEnd)) { continue }
            }
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            output.append(contentsOf: copied(member.start, member.end))
        }
        output.append(UInt8(ascii: "}"))
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
