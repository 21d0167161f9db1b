import NIOCore

/// The fields of a chat-completions request the simulator reads: the model it echoes, whether to stream, whether
/// usage was asked for in the stream, and the options that change the answer's shape.
struct ChatRequest: Equatable {
    var model: String
    var stream: Bool
    var includeUsage: Bool
    /// `n`, `logprobs`, `reasoning_effort`, `tools`/`tool_choice`: all at their defaults for a plain request.
    var options = AnswerOptions()

    /// Nil when the body is not a JSON object with a string `model` (the simulator answers 400).
    ///
    /// Read with ``ChatRequestReader`` (EdgeJSON's scanner) rather than Foundation's `JSONSerialization`, which cost
    /// more than the rest of a non-streamed answer together (about 10-20 µs for a one-message body on this project's
    /// machines).
    init?(body: ByteBuffer) {
        let parsed = body.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { ChatRequestReader.read($0) }
        }
        guard let parsed else { return nil }
        self = parsed
    }

    init(model: String, stream: Bool, includeUsage: Bool, options: AnswerOptions = AnswerOptions()) {
        self.model = model
        self.stream = stream
        self.includeUsage = includeUsage
        self.options = options
    }
}
