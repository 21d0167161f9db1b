import NIOCore

/// A streamed answer in any dialect, rendered whole when the request starts and then sent on the
/// ``StreamSchedule``'s clock: the opening frames go out with the response head, unit `i` (one output token: a
/// thinking, text or tool-argument delta, with whatever frames lead up to it) when token `i` is due, and the
/// closing frames with the last unit. `failure` replaces the rest at `stream_error_after_tokens`.
///
/// Slower to build than ``ChatStreamFrames`` (strings per request), which is why plain OpenAI answers keep that
/// fast path; this one serves the other dialects and the OpenAI options (choices, thinking, tools, log
/// probabilities).
struct ScriptedFrames {
    /// One output token's bytes: frames that lead up to it (a block's start, a ping), then its own frame, which
    /// `malformed_rate` may replace.
    struct Unit {
        var lead: [UInt8]
        var frame: [UInt8]
    }

    let opening: [UInt8]
    let units: [Unit]
    let closing: [UInt8]
    let failure: [UInt8]
    /// What a malformed unit's frame is replaced with (not JSON).
    let malformedFrame: [UInt8]
    /// Per unit, whether it is sent malformed; may be shorter than `units` (the rest are not).
    let malformed: [Bool]
    /// The body's media type: `text/event-stream`, or `application/json` for Gemini's streamed array.
    let contentType: String

    /// What ends the bytes of one wake-up.
    enum Ending {
        case none
        /// The closing frames and the chunked body's end.
        case finish
        /// The in-stream error and the chunked body's end.
        case fail
    }

    /// Writes the units in `range` (clamped to the script) and the ending as one HTTP chunk, followed, when the
    /// body ends, by the chunked body's terminator.
    func write(units range: Range<Int>, ending: Ending, into buffer: inout ByteBuffer) {
        let range = range.clamped(to: 0..<units.count)
        var payload = 0
        for index in range { payload += units[index].lead.count + frame(index).count }
        switch ending {
        case .none: break
        case .finish: payload += closing.count
        case .fail: payload += failure.count
        }
        if payload > 0 {
            ChatStreamFrames.writeChunkHeader(size: payload, into: &buffer)
            for index in range {
                buffer.writeBytes(units[index].lead)
                buffer.writeBytes(frame(index))
            }
            switch ending {
            case .none: break
            case .finish: buffer.writeBytes(closing)
            case .fail: buffer.writeBytes(failure)
            }
            buffer.writeStaticString("\r\n")
        }
        if ending != .none { buffer.writeStaticString("0\r\n\r\n") }
    }

    /// Writes the opening frames as one HTTP chunk (nothing when there are none).
    func writeOpening(into buffer: inout ByteBuffer) {
        guard !opening.isEmpty else { return }
        ChatStreamFrames.writeChunkHeader(size: opening.count, into: &buffer)
        buffer.writeBytes(opening)
        buffer.writeStaticString("\r\n")
    }

    private func frame(_ index: Int) -> [UInt8] {
        index < malformed.count && malformed[index] ? malformedFrame : units[index].frame
    }
}

/// Builds a ``ScriptedFrames`` in the order its frames are sent: frames added with ``lead(_:)`` go out with the
/// next unit (or with the closing frames when no unit follows).
struct ScriptBuilder {
    private var opening: [UInt8] = []
    private var units: [ScriptedFrames.Unit] = []
    private var pending: [UInt8] = []

    /// How many units so far.
    var unitCount: Int { units.count }

    /// Frames sent with the response head.
    mutating func open(_ text: String) { opening += Array(text.utf8) }

    /// Frames sent with the next unit.
    mutating func lead(_ text: String) { pending += Array(text.utf8) }

    /// One output token's frame.
    mutating func unit(_ text: String) {
        units.append(.init(lead: pending, frame: Array(text.utf8)))
        pending = []
    }

    /// The script, ending with `closing` (after any frames still pending).
    func build(
        closing: String, failure: String, malformedFrame: String, malformed: [Bool],
        contentType: String = "text/event-stream"
    ) -> ScriptedFrames {
        ScriptedFrames(
            opening: opening, units: units, closing: pending + Array(closing.utf8), failure: Array(failure.utf8),
            malformedFrame: Array(malformedFrame.utf8), malformed: malformed, contentType: contentType)
    }
}
