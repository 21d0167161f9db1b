import Probe

/// A simple first-token detector for OpenAI-style SSE streams: the first `data:` line
/// containing `"content":"` followed by non-empty text is the first token; a `data:` line
/// with an `"error"` object fails the stream. Lines may be split across chunks.
struct SSEContentObserver: ProbeBodyObserver {
    private var line: [UInt8] = []

    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> ProbeBodyVerdict {
        var verdict = ProbeBodyVerdict.continue
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                let lineVerdict = Self.evaluate(line)
                line.removeAll(keepingCapacity: true)
                if verdict == .continue { verdict = lineVerdict }
            case UInt8(ascii: "\r"):
                continue
            default:
                line.append(byte)
            }
        }
        return verdict
    }

    private static func evaluate(_ line: [UInt8]) -> ProbeBodyVerdict {
        guard line.starts(with: "data:".utf8) else { return .continue }
        let payload = String(decoding: line.dropFirst(5), as: UTF8.self)
        if payload.contains(#""error""#) {
            return .failed(payload.trimmingPrefix(" ").description)
        }
        guard let marker = payload.firstRange(of: #""content":""#) else { return .continue }
        let rest = payload[marker.upperBound...]
        return rest.first.map { $0 != "\"" } == true ? .firstToken : .continue
    }
}
