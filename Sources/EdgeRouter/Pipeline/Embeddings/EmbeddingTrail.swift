import NIOCore
import RequestLog
import RoutingCore

/// What one embeddings request leaves on record, gathered as it goes (the counterpart of chat's
/// ``RequestTrail``): handed to ``Accounting`` once, when the request is over, whether it was answered or refused.
struct EmbeddingTrail {
    let requestID: String
    let receivedWallMs = UnixTime.nowMs()
    let received: ContinuousClock.Instant
    let dialect: Dialect
    let path: String
    var key: GatewayKey?
    var model = ""
    var metadata = RequestMetadata()
    var country: String?
    var asn: Int?
    var deployment: Deployment?
    var reason: RouteReason?
    var attempts = 0
    var failures: [AttemptFailure] = []
    /// Input tokens as the provider counted them, or estimated (``usageEstimated``).
    var inputTokens = 0
    var usageEstimated = false
    /// The client closed its connection before the answer: on record as `cancelled` (status 499).
    var clientLeft = false
    /// The client's body once read, for a key that logs bodies of failed requests too.
    var requestBodyBuffer: ByteBuffer?
    var requestBody: String?
    var responseBody: String?

    init(requestID: String, dialect: Dialect, path: String, received: ContinuousClock.Instant) {
        self.requestID = requestID
        self.dialect = dialect
        self.path = path
        self.received = received
    }

    /// Keeps the bodies for a key that logs them, each cut at its cap.
    mutating func keepBodies(request: ByteBuffer, response: ByteBuffer?) {
        guard let logging = key?.bodyLogging else { return }
        requestBody = String(buffer: request.getSlice(at: request.readerIndex, length: min(request.readableBytes, logging.requestBytes)) ?? ByteBuffer())
        if let response {
            responseBody = String(
                buffer: response.getSlice(at: response.readerIndex, length: min(response.readableBytes, logging.responseBytes)) ?? ByteBuffer())
        }
    }

    /// The record, for an answer with `status` (and `errorType` when it failed). Embeddings have input tokens
    /// only, priced at the deployment's input price; no first token, so no TTFT.
    func record(status: Int, errorType: String?) -> RequestRecord {
        let tokens = RequestRecord.Tokens(input: deployment == nil ? 0 : inputTokens)
        let elapsed = ContinuousClock.now - received
        return RequestRecord(
            requestID: requestID, receivedAtMs: receivedWallMs, keyID: key?.id, dialect: dialect.rawValue, endpoint: path,
            model: model, stream: false, provider: deployment?.provider.id, upstreamModel: deployment?.upstreamModel,
            region: deployment?.provider.region, attempts: attempts,
            failures: failures.map { RequestRecord.AttemptFailure(provider: $0.deployment, cause: Self.cause($0)) },
            routeReason: reason?.rawValue,
            durationMs: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15,
            status: status, errorType: errorType, tokens: tokens, usageEstimated: usageEstimated && deployment != nil,
            costUSD: deployment.map { $0.price.cost(prompt: tokens.input, completion: 0, cacheRead: 0, cacheWrite: 0) } ?? 0,
            country: country, asn: asn, metadataJSON: metadata.json, requestBody: requestBody, responseBody: responseBody)
    }

    /// `status_503`, `connection`, `first_token_timeout`..., as chat's records name causes.
    private static func cause(_ failure: AttemptFailure) -> String {
        if let status = failure.status { return "\(failure.cause.rawValue)_\(status)" }
        return failure.cause.rawValue
    }
}
