import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// The HTTP/1 child channel of the router: Hummingbird's own (`HTTP1Channel`), with the router's connection rules
/// (``ConnectionGate``, fed by ``WireEnd``) around NIO's HTTP decoder and the chat handler ahead of
/// Hummingbird's request handling.
///
/// Pipeline: wire end, HTTP/1 encoder and decoder, gate, HTTP types codec, chat handler, Hummingbird's
/// connection state handler, then the async channel Hummingbird reads requests from.
struct EdgeHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let maxBodyBytes: Int
    let metrics: ConnectionMetrics
    let chat: ChatPipeline

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // The decoder's defaults (80 KiB of headers, 1000 fields) bound the header block; past them the gate
            // answers 431.
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: Self.decoderLimits)
            let gate = ConnectionGate(limits: limits, maxBodyBytes: maxBodyBytes, metrics: metrics)
            let wire = WireEnd(gate: gate)
            try channel.pipeline.syncOperations.addHandler(wire, position: .first)
            try channel.pipeline.syncOperations.addHandler(gate)
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(ChatCompletionsHandler(pipeline: chat, gate: gate, wire: wire))
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }

    /// Hummingbird's limits: 80 KiB per field and for the whole block, 1000 fields.
    static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 80 * 1024
        limits.maxHeaderListSize = 80 * 1024
        limits.maxHeaderFieldCount = 1000
        return limits
    }()
}
