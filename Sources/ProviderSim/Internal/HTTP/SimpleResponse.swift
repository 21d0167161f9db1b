import NIOCore
import NIOHTTP1

/// A response whose body is known when it starts: JSON answers, errors and the control endpoints.
struct SimpleResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: ByteBuffer

    /// A JSON body's only header (content-length and date are added when written).
    static let jsonHeaders: [(name: String, value: String)] = [("content-type", "application/json")]

    init(status: Int, headers: [(name: String, value: String)] = jsonHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    init(status: Int, headers: [(name: String, value: String)] = jsonHeaders, body: String) {
        self.init(status: status, headers: headers, body: ByteBuffer(string: body))
    }

    /// An OpenAI-style error body with `status`.
    static func error(_ status: Int, _ message: String) -> SimpleResponse {
        SimpleResponse(status: status, body: OpenAIWire.error(status: status, message: message))
    }

    /// Hummingbird's answer to an unknown route, kept for whoever relied on it: 404, empty body.
    static let notFound = SimpleResponse(status: 404, headers: [], body: "")

    /// Hummingbird's answer to a body over the limit: 413, empty body.
    static let contentTooLarge = SimpleResponse(status: 413, headers: [], body: "")

    /// The whole response, head and body, in one buffer.
    func write(closes: Bool, date: [UInt8], into buffer: inout ByteBuffer) {
        let length = body.readableBytes
        ResponseHead.writeStatusLine(status, into: &buffer)
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("content-length: ")
        buffer.writeString(String(length))
        buffer.writeStaticString("\r\n")
        ResponseHead.writeEnd(closes: closes, date: date, into: &buffer)
        buffer.writeImmutableBuffer(body)
    }
}

/// Response heads written straight into the connection's buffer (see ``SimulatorConnection`` for why no
/// `HTTPResponseEncoder`).
enum ResponseHead {
    static func writeStatusLine(_ status: Int, into buffer: inout ByteBuffer) {
        if status == 200 {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
            return
        }
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status))
        buffer.writeStaticString(" ")
        buffer.writeString(HTTPResponseStatus(statusCode: status).reasonPhrase)
        buffer.writeStaticString("\r\n")
    }

    /// The head of a streamed answer: server-sent events in a chunked body.
    static func writeEventStream(closes: Bool, date: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeStaticString(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n")
        writeEnd(closes: closes, date: date, into: &buffer)
    }

    /// The head of a streamed answer of another media type (Gemini's JSON array), in a chunked body.
    static func writeStream(contentType: String, closes: Bool, date: [UInt8], into buffer: inout ByteBuffer) {
        guard contentType != "text/event-stream" else {
            return writeEventStream(closes: closes, date: date, into: &buffer)
        }
        buffer.writeStaticString("HTTP/1.1 200 OK\r\ncontent-type: ")
        buffer.writeString(contentType)
        buffer.writeStaticString("\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n")
        writeEnd(closes: closes, date: date, into: &buffer)
    }

    /// The `date` and `connection` headers and the blank line that ends a head.
    static func writeEnd(closes: Bool, date: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeBytes(date)
        if closes { buffer.writeStaticString("connection: close\r\n") }
        buffer.writeStaticString("\r\n")
    }
}
