import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A provider that misbehaves on purpose: a raw TCP server on 127.0.0.1 (ephemeral port) that reads each HTTP/1.1
/// request and answers it with a script writing raw bytes, so a test can send what no well-behaved server would
/// (a wrong content type, a line of megabytes, a stream that never ends, a redirect, an echoed key).
final class StubProvider: Sendable {
    /// One request as the stub received it.
    struct Request: Sendable {
        /// The request line, `POST /v1/chat/completions HTTP/1.1`.
        var line: String
        /// Header names lowercased.
        var headers: [String: String]
        var body: String
    }

    /// Writes the stub's answer on one connection.
    struct Connection: Sendable {
        let channel: any Channel

        /// Writes raw bytes and waits until they are handed to the socket (so a reader that stops reading stops
        /// the script too).
        func write(_ text: String) async throws {
            try await channel.writeAndFlush(ByteBuffer(string: text))
        }

        func write(_ buffer: ByteBuffer) async throws {
            try await channel.writeAndFlush(buffer)
        }

        /// Closes the connection (the end of a close-delimited body).
        func close() async {
            try? await channel.close()
        }
    }

    typealias Script = @Sendable (Request, Connection) async throws -> Void

    let port: Int
    private let channel: any Channel
    private let received = NIOLockedValueBox<[Request]>([])

    /// The requests received so far.
    var requests: [Request] { received.withLockedValue { $0 } }

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    /// Starts a stub that answers every request with `script`; the connection is closed when the script returns.
    static func start(_ script: @escaping Script) async throws -> StubProvider {
        let box = NIOLockedValueBox<StubProvider?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RequestReader { request in
                            box.withLockedValue { $0 }?.received.withLockedValue { $0.append(request) }
                            let connection = Connection(channel: channel)
                            Task {
                                try? await script(request, connection)
                                await connection.close()
                            }
                        })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let stub = StubProvider(port: channel.localAddress?.port ?? 0, channel: channel)
        box.withLockedValue { $0 = stub }
        return stub
    }

    /// Stops accepting connections.
    func stop() async {
        try? await channel.close()
    }

    /// Runs `body` with a started stub, stopping it afterwards whatever happens.
    static func with<Value: Sendable>(
        _ script: @escaping Script, _ body: @Sendable (StubProvider) async throws -> Value
    ) async throws -> Value {
        let stub = try await start(script)
        do {
            let value = try await body(stub)
            await stub.stop()
            return value
        } catch {
            await stub.stop()
            throw error
        }
    }

    // MARK: Wire helpers

    /// The head of a close-delimited `200` event stream, with `extra` header lines (each ending in CRLF).
    static func streamHead(contentType: String = "text/event-stream", extra: String = "") -> String {
        "HTTP/1.1 200 OK\r\ncontent-type: \(contentType)\r\nconnection: close\r\n\(extra)\r\n"
    }

    /// A complete response with a body and its length.
    static func response(status: String, contentType: String = "application/json", extra: String = "", body: String) -> String {
        "HTTP/1.1 \(status)\r\ncontent-type: \(contentType)\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\(extra)\r\n\(body)"
    }

    /// One OpenAI chunk event with `content` (nil: an empty delta) and an optional finish reason.
    static func chunk(_ content: String?, finish: String? = nil) -> String {
        let delta = content.map { #"{"content":"\#($0)"}"# } ?? "{}"
        let reason = finish.map { #""\#($0)""# } ?? "null"
        return #"data: {"id":"stub-1","object":"chat.completion.chunk","created":1,"model":"stub","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(reason)}]}"#
            + "\n\n"
    }

    static let done = "data: [DONE]\n\n"
}

/// Reads HTTP/1.1 requests (head, then a `content-length` body) off a connection and hands each on.
private final class RequestReader: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked Sendable: NIO calls a handler on its channel's event loop only, where all its state lives.
    typealias InboundIn = ByteBuffer

    private var buffer = ByteBuffer()
    private let onRequest: (StubProvider.Request) -> Void

    init(onRequest: @escaping (StubProvider.Request) -> Void) {
        self.onRequest = onRequest
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var part = unwrapInboundIn(data)
        buffer.writeBuffer(&part)
        while let request = nextRequest() { onRequest(request) }
    }

    private func nextRequest() -> StubProvider.Request? {
        let view = buffer.readableBytesView
        let terminator = Array("\r\n\r\n".utf8)
        guard let end = view.firstRange(of: terminator) else { return nil }
        let headText = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let line = lines.isEmpty ? "" : lines.removeFirst()
        var headers: [String: String] = [:]
        for header in lines {
            guard let colon = header.firstIndex(of: ":") else { continue }
            headers[header[..<colon].lowercased()] = String(header[header.index(after: colon)...]).trimmingSpaces()
        }
        let bodyStart = end.upperBound - view.startIndex
        let length = headers["content-length"].flatMap { Int($0) } ?? 0
        guard buffer.readableBytes >= bodyStart + length else { return nil }
        buffer.moveReaderIndex(forwardBy: bodyStart)
        let body = buffer.readString(length: length) ?? ""
        buffer.discardReadBytes()
        return StubProvider.Request(line: line, headers: headers, body: body)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
