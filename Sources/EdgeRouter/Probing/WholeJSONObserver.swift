import Probe

/// The "first token" of an embeddings probe: the end of the provider's JSON answer (an embedding has no first
/// token; its whole answer is what a client waits for). A small state machine over the bytes as they come: nesting
/// depth outside strings, with escapes inside them, so that a chunk boundary anywhere is fine.
struct WholeJSONObserver: ProbeBodyObserver {
    private var depth = 0
    private var started = false
    private var inString = false
    private var escaped = false
    private var done = false

    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> ProbeBodyVerdict {
        guard !done else { return .continue }
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                started = true
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if started, depth <= 0 {
                    done = true
                    return .firstToken
                }
            default: break
            }
        }
        return .continue
    }
}
