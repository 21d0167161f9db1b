import EdgeJSON

/// What a Gemini provider's frames say beyond the neutral events, for a Gemini client's non-streaming answer
/// assembled from them: each candidate's members other than its content (`finishReason` as sent, `safetyRatings`,
/// `citationMetadata`, `avgLogprobs`, `groundingMetadata`, …) and the response's (`usageMetadata` with its
/// details, `promptFeedback`, `createTime`, …), each as the provider last wrote it: Gemini repeats cumulative
/// figures in every frame, so the last one holds the answer's. Function-call parts are kept whole, signatures
/// and all.
struct GeminiResponseExtras {
    typealias Member = (key: [UInt8], value: [UInt8])

    /// The response's members other than `candidates`, in order of first sight.
    var members: [Member] = []
    /// Each candidate's members other than `content` and `index`, and its `functionCall` parts as written (with
    /// their `thoughtSignature`, which Gemini wants back with the call in the next turn), by candidate index.
    var candidates: [(index: Int, members: [Member], calls: [[UInt8]])] = []

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

    /// The function-call parts of candidate `index`, as written.
    func calls(ofCandidate index: Int) -> [[UInt8]] {
        candidates.first { $0.index == index }?.calls ?? []
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
                var calls: [[UInt8]] = []
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    if key.matches("index") {
                        index = try scanner.readNullableInt() ?? 0
                    } else if key.matches("content") {
                        calls = try Self.functionCallParts(&scanner)
                    } else {
                        kept.append((Self.quoted(key, in: bytes), try scanner.readRawValue()))
                    }
                }
                let slot = candidates.firstIndex { $0.index == index } ?? {
                    candidates.append((index, [], []))
                    return candidates.count - 1
                }()
                for member in kept { Self.keep(member, in: &candidates[slot].members) }
                candidates[slot].calls += calls
            }
        }
    }

    /// The parts of a candidate's `content` that hold a `functionCall`, each as written.
    private static func functionCallParts(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) -> [[UInt8]] {
        var calls: [[UInt8]] = []
        if try scanner.consumeNull() { return calls }
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            guard key.matches("parts"), try !scanner.consumeNull() else {
                try scanner.skipValue()
                continue
            }
            try scanner.enterArray()
            while try scanner.nextElement() {
                let part = try scanner.readRawValue()
                if try isFunctionCall(part) { calls.append(part) }
            }
        }
        return calls
    }

    private static func isFunctionCall(_ part: [UInt8]) throws(JSONScanner.Failure) -> Bool {
        let found = part.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) -> Bool in
                var scanner = JSONScanner(bytes)
                guard try scanner.peekKind() == .object else { return false }
                try scanner.enterObject()
                var isCall = false
                while let key = try scanner.nextMember() {
                    if key.matches("functionCall") { isCall = true }
                    try scanner.skipValue()
                }
                return isCall
            }
        }
        return try found.get()
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
