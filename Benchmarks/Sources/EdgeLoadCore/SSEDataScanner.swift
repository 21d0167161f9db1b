/// What one `data:` line of a chat-completions event stream carries.
public enum SSEDataKind: Sendable, Equatable {
    /// A chunk with a non-empty `choices[0].delta.content`.
    case content
    /// `data: [DONE]`: the stream is complete.
    case done
    /// Anything else: the role-only chunk, the finish chunk, usage, an error frame.
    case other
}

/// Splits a server-sent-events body into lines as it arrives, across reads, and classifies each `data:` line.
///
/// Every server this harness talks to (the simulator, the router, nginx passing it through, LiteLLM) sends one
/// `data:` line per event, so each such line is judged on its own; comment lines, `event:` lines and blank lines
/// are ignored. Lines that arrive whole inside one read are examined in place; only a line split across reads
/// is copied.
public struct SSEDataScanner: Sendable {
    /// The start of a line whose end has not arrived yet.
    private var carry: [UInt8] = []
    /// The line being carried grew past ``maximumLineBytes`` and is being skipped up to its end.
    private var skippingLongLine = false
    /// Bytes buffered for the longest line seen; a line past this is dropped (a broken or hostile server).
    public static let maximumLineBytes = 1 << 20

    public init() {}

    /// Feeds the next bytes of the body; calls `handle` for each complete `data:` line, in order.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer, _ handle: (SSEDataKind) -> Void) {
        var lineStart = 0
        var index = 0
        let newline = UInt8(ascii: "\n")
        while index < bytes.count {
            if bytes[index] == newline {
                if skippingLongLine {
                    skippingLongLine = false
                } else if carry.isEmpty {
                    Self.classify(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<index]), handle)
                } else if carry.count + (index - lineStart) > Self.maximumLineBytes {
                    carry.removeAll(keepingCapacity: false)
                } else {
                    carry.append(contentsOf: bytes[lineStart..<index])
                    carry.withUnsafeBytes { Self.classify($0, handle) }
                    carry.removeAll(keepingCapacity: true)
                }
                lineStart = index + 1
            }
            index += 1
        }
        guard lineStart < bytes.count, !skippingLongLine else { return }
        if carry.count + (bytes.count - lineStart) <= Self.maximumLineBytes {
            carry.append(contentsOf: bytes[lineStart..<bytes.count])
        } else {
            carry.removeAll(keepingCapacity: false)
            skippingLongLine = true
        }
    }

    private static let dataPrefix: [UInt8] = Array("data:".utf8)
    private static let doneMarker: [UInt8] = Array("[DONE]".utf8)

    /// Classifies one line (without its `\n`; a trailing `\r` is tolerated).
    static func classify(_ line: UnsafeRawBufferPointer, _ handle: (SSEDataKind) -> Void) {
        var end = line.count
        if end > 0, line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end >= dataPrefix.count else { return }
        for offset in 0..<dataPrefix.count where line[offset] != dataPrefix[offset] { return }
        var start = dataPrefix.count
        if start < end, line[start] == UInt8(ascii: " ") { start += 1 }
        let payload = UnsafeRawBufferPointer(rebasing: line[start..<end])
        if payload.count == doneMarker.count, payload.elementsEqual(doneMarker) {
            handle(.done)
        } else {
            handle(ContentDelta.hasContent(payload) ? .content : .other)
        }
    }
}
