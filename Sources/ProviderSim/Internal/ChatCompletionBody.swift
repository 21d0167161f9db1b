import NIOCore

/// The body of a non-streamed answer written straight into a buffer: the bytes of `OpenAIWire.completion` (a test
/// holds the two equal), without the strings it builds, joins and escapes per request.
enum ChatCompletionBody {
    static func write(
        id: String, model: String, created: Int, answerTokens: Int, promptTokens: Int, into buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString(#"{"id":""#)
        buffer.writeString(id)
        buffer.writeStaticString(#"","object":"chat.completion","created":"#)
        buffer.writeString(String(created))
        buffer.writeStaticString(#","model":""#)
        writeEscaped(model, into: &buffer)
        buffer.writeStaticString(#"","choices":[{"index":0,"message":{"role":"assistant","content":""#)
        for index in 0..<answerTokens { buffer.writeBytes(escapedWords[index % escapedWords.count]) }
        buffer.writeStaticString(#""},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":"#)
        buffer.writeString(String(promptTokens))
        buffer.writeStaticString(#","completion_tokens":"#)
        buffer.writeString(String(answerTokens))
        buffer.writeStaticString(#","total_tokens":"#)
        buffer.writeString(String(promptTokens + answerTokens))
        buffer.writeStaticString("}}")
    }

    private static let escapedWords = OpenAIWire.words.map { Array(OpenAIWire.escape($0).utf8) }

    /// `OpenAIWire.escape`, byte by byte: every byte of a multi-byte UTF-8 sequence is 0x80 or above, so only
    /// ASCII bytes are ever escaped.
    static func writeEscaped(_ text: String, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            guard bytes.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
                buffer.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                case 0..<0x20:
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex[Int(byte >> 4)])
                    buffer.writeInteger(hex[Int(byte & 0xF)])
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)
}
