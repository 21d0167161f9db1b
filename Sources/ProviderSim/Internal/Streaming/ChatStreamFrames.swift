import NIOCore

/// The bytes of one streamed answer, rendered once per request so that a wake-up only copies them.
///
/// Every frame is `OpenAIWire.chunk`'s text, split around its `delta` once at the start of the request; a frame
/// is then the prefix, a pre-escaped delta and a suffix. Frames due together go out as one HTTP/1.1 chunk (the
/// chunk framing is written here, not by an encoder, so a wake-up is one buffer, one write and one flush).
struct ChatStreamFrames {
    /// This request's prefix, open-frame suffix, finish frame and usage frame, in one array (one reference to
    /// retain per wake-up rather than four).
    private let bytes: [UInt8]
    private let prefix: Range<Int>
    private let openSuffix: Range<Int>
    private let finishFrame: Range<Int>
    private let usageFrame: Range<Int>
    private let malformed: [Bool]

    /// - Parameter malformed: per content token, whether it is replaced by broken JSON (`malformed_rate`); empty
    ///   when none is.
    init(
        id: String, model: String, created: Int, includeUsage: Bool, promptTokens: Int, answerTokens: Int,
        malformed: [Bool]
    ) {
        // A control character cannot appear in the rendered text (escape() writes it as \u0001), so it marks
        // where the delta goes unambiguously.
        let open = Array(
            ("data: " + OpenAIWire.chunk(id: id, model: model, created: created, delta: "\u{1}", includeUsageNull: includeUsage)
                + "\n\n").utf8)
        let finish = Array(
            ("data: "
                + OpenAIWire.chunk(
                    id: id, model: model, created: created, delta: "{}", finishReason: "stop", includeUsageNull: includeUsage)
                + "\n\n").utf8)
        let usage =
            includeUsage
            ? Array(
                ("data: "
                    + OpenAIWire.usageChunk(
                        id: id, model: model, created: created, prompt: promptTokens, completion: answerTokens) + "\n\n").utf8)
            : []
        // The marker is always there (the delta is rendered verbatim); were it not, the frame would end at it.
        let split = open.firstIndex(of: 1) ?? open.count
        var bytes = open
        if split < bytes.count { bytes.remove(at: split) }
        prefix = 0..<split
        openSuffix = split..<bytes.count
        finishFrame = bytes.count..<(bytes.count + finish.count)
        bytes += finish
        usageFrame = bytes.count..<(bytes.count + usage.count)
        bytes += usage
        self.bytes = bytes
        self.malformed = malformed
    }

    /// The role-only chunk OpenAI sends before any content.
    var roleFrameSize: Int { prefix.count + Self.roleDelta.count + openSuffix.count }

    /// Writes the role-only chunk as one HTTP chunk.
    func writeRole(into buffer: inout ByteBuffer) {
        Self.writeChunkHeader(size: roleFrameSize, into: &buffer)
        writeFrame(delta: Self.roleDelta, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// How many bytes `write(tokens:finish:into:)` writes, so the buffer is allocated once at its size.
    func size(tokens: Range<Int>, finish: Bool) -> Int {
        let payload = payloadSize(tokens: tokens, finish: finish)
        return (payload > 0 ? Self.chunkOverhead(payload) : 0) + (finish ? Self.lastChunk.count : 0)
    }

    /// Writes the content tokens in `tokens` as one HTTP chunk, followed, when `finish`, by the finish frame,
    /// the usage frame (when asked), `[DONE]` and the chunked body's terminator.
    func write(tokens: Range<Int>, finish: Bool, into buffer: inout ByteBuffer) {
        let payload = payloadSize(tokens: tokens, finish: finish)
        if payload > 0 {
            Self.writeChunkHeader(size: payload, into: &buffer)
            for index in tokens {
                if isMalformed(index) {
                    buffer.writeBytes(Self.malformedFrame)
                } else {
                    writeFrame(delta: Self.tokenDeltas[index % Self.tokenDeltas.count], into: &buffer)
                }
            }
            if finish {
                write(finishFrame, into: &buffer)
                write(usageFrame, into: &buffer)
                buffer.writeBytes(Self.doneFrame)
            }
            buffer.writeStaticString("\r\n")
        }
        if finish { buffer.writeBytes(Self.lastChunk) }
    }

    private func payloadSize(tokens: Range<Int>, finish: Bool) -> Int {
        var size = 0
        for index in tokens {
            size +=
                isMalformed(index)
                ? Self.malformedFrame.count
                : prefix.count + Self.tokenDeltas[index % Self.tokenDeltas.count].count + openSuffix.count
        }
        if finish { size += finishFrame.count + usageFrame.count + Self.doneFrame.count }
        return size
    }

    private func isMalformed(_ index: Int) -> Bool { !malformed.isEmpty && malformed[index] }

    private func writeFrame(delta: [UInt8], into buffer: inout ByteBuffer) {
        bytes.withUnsafeBytes { bytes in
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[prefix]))
            buffer.writeBytes(delta)
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[openSuffix]))
        }
    }

    private func write(_ part: Range<Int>, into buffer: inout ByteBuffer) {
        _ = bytes.withUnsafeBytes { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[part])) }
    }

    // MARK: Constant parts

    private static let roleDelta = Array(#"{"role":"assistant","content":""}"#.utf8)
    /// The delta of each content token, escaped once for all requests.
    private static let tokenDeltas: [[UInt8]] = OpenAIWire.words.map {
        Array(#"{"content":"\#(OpenAIWire.escape($0))"}"#.utf8)
    }
    private static let malformedFrame = Array("data: {\"id\":\"broken\",\"choices\":[{\"delta\":{\"content\":\n\n".utf8)
    private static let doneFrame = Array("data: [DONE]\n\n".utf8)
    private static let lastChunk = Array("0\r\n\r\n".utf8)

    /// Size line plus the CRLF after the data.
    private static func chunkOverhead(_ payload: Int) -> Int { hexDigits(payload) + 2 + payload + 2 }

    private static func hexDigits(_ value: Int) -> Int { max(1, (Int.bitWidth - value.leadingZeroBitCount + 3) / 4) }

    static func writeChunkHeader(size: Int, into buffer: inout ByteBuffer) {
        var shift = (hexDigits(size) - 1) * 4
        while shift >= 0 {
            buffer.writeInteger(Self.hex[(size >> shift) & 0xF])
            shift -= 4
        }
        buffer.writeStaticString("\r\n")
    }

    private static let hex = Array("0123456789abcdef".utf8)
}
