import NIOCore

/// Sits before the HTTP decoder and tells the connection's ``ConnectionGate`` that bytes arrived: the first byte of
/// a request starts its header timer, which the decoder alone could not show.
final class RawBytesWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let gate: ConnectionGate

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        gate.bytesArrived()
        context.fireChannelRead(data)
    }
}
