import EdgeJSON

/// What a Gemini provider's frames say beyond the neutral events, for a Gemini client's non-streaming answer
/// assembled from them: each candidate's members other than its content (`finishReason` as sent, `safetyRatings`,
/// `citationMetadata`, `avgLogprobs`, `groundingMetadata`, …) and the response's (`usageMetadata` with its
/// details, `promptFeedback`, `createTime`, …), each as the provider last wrote it: Gemini repeats cumulative
/// figures in every frame, so the last one holds the answer's.
struct GeminiResponseExtras {
    typealias Member = (key: [UInt8], value: [UInt8])

    /// The response's members other than `candidates`, in order of first sight.
    var members: [Member] = []
    /// Each candidate's members other than `content` and `index`, by candidate index.
    var candidates: [(index: Int, members: [Member])] = []

    var isEmpty: Bool { members.isEmpty && candidates.isEmpty }

    /// Takes one frame's payload (already validated by the decoder: a frame that cannot be read adds nothing).
    mutating func consume(_ payload: [UInt8]) {
        var extras = self
        let read = payload.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in try extras.read(bytes) }
        }
        if case .success = read { self = extras }
    }

    /// The members kept for candidate `index`.
    func members(ofCandidate index: Int) -> [Member] {
        candidates.first { $0.index == index }?.members ?? []
    }

    private mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanner.Failure) {
        var scanner = JSONScanner(bytes)
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            guard key.matches("candidates") else {
                Self.keep((Self.quoted(key, in: bytes), try scanner.readRawValue()), in: &members)
                continue
            }
            if try scanner.consumeNull() { continue }
            try scanner.enterArray()
            while try scanner.nextElement() {
                var index = 0
                var kept: [Member] = []
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    if key.matches("index") {
                        index = try scanner.readNullableInt() ?? 0
                    } else if key.matches("content") {
                        try scanner.skipValue()
                    } else {
                        kept.append((Self.quoted(key, in: bytes), try scanner.readRawValue()))
                    }
                }
                let slot = candidates.firstIndex { $0.index == index } ?? {
                    candidates.append((index, []))
                    return candidates.count - 1
                }()
                for member in kept { Self.keep(member, in: &candidates[slot].members) }
            }
        }
    }

    /// Adds `member`, or replaces the value of a member with its key.
    private static func keep(_ member: Member, in members: inout [Member]) {
        if let existing = members.firstIndex(where: { $0.key == member.key }) {
            members[existing].value = member.value
        } else {
            members.append(member)
        }
    }

    private static func quoted(_ key: JSONScanner.Key, in bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        Array(bytes[(key.span.start - 1)..<(key.span.end + 1)])
    }
}
