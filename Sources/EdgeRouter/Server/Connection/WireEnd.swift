import NIOCore

/// The end of a client connection's pipeline nearest the socket, before NIO's HTTP decoder and encoder.
///
/// Inbound, it tells the connection's ``ConnectionGate`` that bytes arrived: the first byte of a request starts its
/// header timer, which the decoder alone could not show. Outbound, it is where the chat handler writes the body of
/// a streamed answer already framed as HTTP/1.1 chunks (``ChunkFraming``): one buffer per read burst, past the
/// HTTP encoder (which would write each chunk as three buffers, its size line in a buffer of its own) and the
/// handlers between, which do nothing with body bytes. The answer's head and end still go through them.
///
/// It must see the connection's plain HTTP bytes: a handler that transforms the byte stream (TLS, were the router
/// ever to terminate it) belongs between it and the socket, never after it.
final class WireEnd: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let gate: ConnectionGate
    private var context: ChannelHandlerContext?

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        gate.bytesArrived()
        context.fireChannelRead(data)
    }

    /// Writes bytes as they are onto the connection, after whatever was written before them.
    func write(raw bytes: ByteBuffer, flush: Bool) {
        guard let context else { return }
        context.write(NIOAny(IOData.byteBuffer(bytes)), promise: nil)
        if flush { context.flush() }
    }
}
