import NIOCore

/// A request on an Anthropic or Gemini endpoint (or an OpenAI one with options), as the simulator reads it.
struct DialectRequest {
    var model: String
    var stream: Bool
    /// OpenAI `stream_options.include_usage`.
    var includeUsage = false
    /// Gemini `alt=sse` (otherwise a stream is one JSON array).
    var sse = false
    var options: AnswerOptions

    /// Reads `body` with `read`, which sees its bytes.
    static func read<Result>(_ body: ByteBuffer, _ read: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        body.withUnsafeReadableBytes { raw in raw.withMemoryRebound(to: UInt8.self) { read($0) } }
    }
}

/// A request refused before it is planned: 400 with the dialect's message.
struct RequestRefusal: Error, Equatable {
    var message: String
}
