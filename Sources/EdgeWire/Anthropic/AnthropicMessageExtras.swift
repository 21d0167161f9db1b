import EdgeJSON

/// What an Anthropic provider's stream says beyond the neutral events, for an Anthropic client's non-streaming
/// answer assembled from it: the stop reason and matched `stop_sequence` as sent, the whole `usage` as the provider wrote it (with fields
/// such as `service_tier` or `server_tool_use`; `message_delta`'s figures replacing `message_start`'s), and the
/// message's members this code does not know (`container`, fields newer than it), kept as written.
struct AnthropicMessageExtras {
    /// The provider's own stop reason: the neutral one folds `stop_sequence` and `pause_turn` into `stop`.
    var stopReason: String?
    var stopSequence: String?
    /// `usage` members, key (with its quotes) and value as written, in order.
    var usage: [(key: [UInt8], value: [UInt8])] = []
    /// Other members of the message (from `message_start`) and of `message_delta`'s `delta`.
    var members: [(key: [UInt8], value: [UInt8])] = []

    /// The members the assembler writes itself.
    private static let written: Set<String> = ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]

    /// Takes one event's payload (already validated by the decoder: a failure here only leaves out what it held).
    mutating func consume(_ payload: [UInt8]) {
        var extras = self
        let read = payload.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONScanner.Failure) in try extras.read(bytes) }
        }
        if case .success = read { self = extras }
    }

    private mutating func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanner.Failure) {
        var scanner = JSONScanner(bytes)
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            switch key {
            case "message":
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    if key.matches("usage") {
                        try mergeUsage(&scanner)
                    } else if Self.written.contains(key.string) {
                        try scanner.skipValue()
                    } else {
                        members.append((Self.quoted(key, in: bytes), try scanner.readRawValue()))
                    }
                }
            case "delta":
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    if key.matches("stop_sequence") {
                        stopSequence = try scanner.readNullableString()
                    } else if key.matches("stop_reason") {
                        stopReason = try scanner.readNullableString() ?? stopReason
                    } else if Self.written.contains(key.string) {
                        try scanner.skipValue()
                    } else {
                        members.append((Self.quoted(key, in: bytes), try scanner.readRawValue()))
                    }
                }
            case "usage":
                try mergeUsage(&scanner)
            default:
                try scanner.skipValue()
            }
        }
    }

    /// Takes a `usage` object's members; a key seen before gets the new value (message_delta's counts are final).
    private mutating func mergeUsage(_ scanner: inout JSONScanner) throws(JSONScanner.Failure) {
        if try scanner.consumeNull() { return }
        try scanner.enterObject()
        while let key = try scanner.nextMember() {
            let name = Self.quoted(key, in: scanner.bytes)
            let value = try scanner.readRawValue()
            if let existing = usage.firstIndex(where: { $0.key == name }) {
                usage[existing].value = value
            } else {
                usage.append((name, value))
            }
        }
    }

    private static func quoted(_ key: JSONScanner.Key, in bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        Array(bytes[(key.span.start - 1)..<(key.span.end + 1)])
    }
}
