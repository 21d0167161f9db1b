import EdgeWire
import NIOCore
import RequestLog
import RoutingCore

/// What one chat request leaves on record, gathered as it goes: who asked, for what, which deployments were
/// tried, what was delivered. The connection's ``ChatResponder`` feeds it and hands its ``record(status:errorType:)``
/// to ``Accounting`` once, when the request is over.
struct RequestTrail {
    var requestID: String
    let receivedWallMs: Int64
    let received: ContinuousClock.Instant
    let endpoint: ChatEndpoint
    let path: String
    var key: GatewayKey?
    var model = ""
    var stream = false
    var metadata = RequestMetadata()
    var country: String?
    var asn: Int?
    var start: ExchangeStart?
    var failures: [AttemptFailure] = []
    var hedged = false
    var usage = UsageTally()
    var promptBytes = 0
    var requestBody: String?
    /// Times the client came back for the answer before it was recorded.
    var resumes = 0
    /// `hit`, `miss` or `coalesced` for a cacheable request.
    var cacheStatus: String?
    /// What a hit's answer cost when it was fetched.
    var costSavedUSD: Double = 0
    /// The provider's frames as received, for a key that records bodies (nil otherwise), and how much more fits.
    private var responseBody: [UInt8]?
    private var responseRoom = 0
    /// Set once the record was taken: a request is on record once.
    private(set) var isRecorded = false

    init(requestID: String, endpoint: ChatEndpoint, path: String, received: ContinuousClock.Instant) {
        self.requestID = requestID
        self.receivedWallMs = UnixTime.nowMs()
        self.received = received
        self.endpoint = endpoint
        self.path = path
    }

    /// The key's body logging starts with the request body, cut at its cap.
    mutating func keepBodies(_ logging: GatewayKey.BodyLogging, request body: ByteBuffer) {
        let kept = body.getSlice(at: body.readerIndex, length: min(body.readableBytes, logging.requestBytes)) ?? ByteBuffer()
        requestBody = String(buffer: kept)
        responseBody = []
        responseRoom = logging.responseBytes
    }

    mutating func observe(_ frame: UpstreamFrame) {
        usage.observe(frame)
        guard responseBody != nil, responseRoom > 0 else { return }
        let take = min(responseRoom, frame.payload.count)
        responseBody?.append(contentsOf: frame.payload.prefix(take))
        responseBody?.append(UInt8(ascii: "\n"))
        responseRoom -= take + 1
    }

    /// The record, for an answer with `status` (and `errorType` when it failed).
    mutating func record(status: Int, errorType: String?) -> RequestRecord {
        isRecorded = true
        let deployment = start?.deployment
        let (tokens, estimated) =
            deployment == nil ? (RequestRecord.Tokens(), false) : usage.tokens(promptBytes: promptBytes)
        let sinceReceived = { (duration: Duration) -> Double in
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
        }
        return RequestRecord(
            requestID: requestID, receivedAtMs: receivedWallMs, keyID: key?.id, dialect: endpoint.recordedDialect,
            endpoint: path, model: model, stream: stream, provider: deployment?.provider.id,
            upstreamModel: deployment?.upstreamModel, region: deployment?.provider.region,
            attempts: start?.attempts ?? failures.count,
            failures: failures.map { RequestRecord.AttemptFailure(provider: $0.deployment, cause: Self.cause($0)) },
            hedged: hedged, routeReason: start?.reasonText, ttftMs: start.map { sinceReceived($0.timeToFirstToken) },
            firstByteMs: start.map { sinceReceived($0.timeToFirstByte) }, durationMs: sinceReceived(.now - received),
            status: status, errorType: errorType, tokens: tokens, usageEstimated: estimated,
            costUSD: deployment.map { $0.price.cost(of: tokens) } ?? 0, country: country, asn: asn,
            metadataJSON: metadata.json, resumes: resumes, cacheStatus: cacheStatus, costSavedUSD: costSavedUSD,
            requestBody: requestBody,
            responseBody: responseBody.map { String(decoding: $0, as: UTF8.self) })
    }

    /// `status_503`, `connection`, `first_token_timeout`...
    private static func cause(_ failure: AttemptFailure) -> String {
        if let status = failure.status { return "\(failure.cause.rawValue)_\(status)" }
        return failure.cause.rawValue
    }
}
