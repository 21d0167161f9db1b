import EdgeWire
import NIOCore
import Probe
import RoutingCore

/// A Cog deployment's probe: `GET /health-check` first, then, when the server says `READY`, a tiny prediction
/// (`PUT /predictions/{id}`, the probe prompt with `max_tokens` of the probe) whose first token is timed as a live
/// request's is. A server that is `STARTING`, `SETUP_FAILED`, `DEFUNCT` or `UNHEALTHY` fails the probe without a
/// prediction; one that is `BUSY` (every slot in use) is not probed now (``ProbeResult/isCogBusy``): a prediction
/// would be refused "at capacity", which says nothing about its health.
extension ProbeRunner {
    /// What a probe that found the server busy reports; the scheduler counts it as a skipped probe.
    static let cogBusyMessage = "the Cog server is BUSY (every prediction slot in use)"

    func cogProbe(_ deployment: Deployment, probe: ModelProbe, cold: Bool) async -> ProbeResult {
        let health = ProbeRequest(
            url: ProviderEndpoint.url(deployment.provider, "/health-check"),
            method: .get,
            headers: ProviderEndpoint.headers(for: deployment.provider).filter { $0.name != "content-type" && $0.name != "accept" },
            body: [],
            reuseConnection: !cold,
            tls: .init(caBundlePath: deployment.provider.caBundlePath),
            timeouts: .init(connect: settings.connectTimeout, firstToken: settings.firstTokenTimeout, total: settings.firstTokenTimeout),
            stopAfterFirstToken: false,
            bodyObserver: { CogHealthObserver() })
        let checked: ProbeResult
        do {
            checked = try await engine.probe(health)
        } catch {
            return .failed(error)
        }
        guard checked.isSuccess else { return checked }
        let body: ByteBuffer
        do {
            body = try promptBody(for: deployment, probe: probe)
        } catch {
            return .failed(ProbeError(code: .invalidRequest, message: error.message))
        }
        let streams = deployment.provider.streams
        let predictionID = ProviderEndpoint.newPredictionID()
        let request = ProbeRequest(
            url: ProviderEndpoint.cogPredictionURL(for: deployment, id: predictionID),
            method: .put,
            headers: ProviderEndpoint.headers(for: deployment.provider),
            body: Array(body.readableBytesView),
            reuseConnection: true,
            tls: .init(caBundlePath: deployment.provider.caBundlePath),
            timeouts: .init(
                connect: settings.connectTimeout, firstToken: settings.firstTokenTimeout,
                total: settings.firstTokenTimeout + .seconds(5)),
            stopAfterFirstToken: true,
            bodyObserver: { streams ? FirstTokenObserver(dialect: .cog) as any ProbeBodyObserver : CogWholeAnswerObserver() })
        let result: ProbeResult
        do {
            result = try await engine.probe(request)
        } catch {
            result = .failed(error)
        }
        if !result.isSuccess {
            await cancelCogPrediction(predictionID, of: deployment)
        }
        return result
    }

    /// Cancels a probe's prediction that may still hold a slot: one that timed out or failed mid-way (closing its
    /// connection stops only a streamed prediction; a whole-answer one would run on to its end). A streamed one the
    /// probe left after its first token is stopped by the closed connection. Cog answers 404 for a prediction that
    /// has already ended; either way the probe's result stands, so the answer is not read.
    func cancelCogPrediction(_ id: String, of deployment: Deployment) async {
        let cancel = ProbeRequest(
            url: ProviderEndpoint.cogPredictionURL(for: deployment, id: id, cancel: true),
            method: .post,
            headers: ProviderEndpoint.headers(for: deployment.provider).filter { $0.name != "accept" },
            body: [],
            reuseConnection: true,
            tls: .init(caBundlePath: deployment.provider.caBundlePath),
            timeouts: .init(connect: settings.connectTimeout, firstToken: settings.connectTimeout, total: settings.connectTimeout),
            stopAfterFirstToken: false,
            bodyObserver: { CogCancelObserver() })
        _ = try? await engine.probe(cancel)
    }
}

/// Reads nothing of a cancel's answer: its status is all there is, and it does not change the probe's result.
struct CogCancelObserver: ProbeBodyObserver {
    mutating func consume(_ chunk: UnsafeRawBufferPointer) -> ProbeBodyVerdict { .continue }
}

extension ProbeResult {
    /// Whether this is a Cog probe that found every slot busy and so measured nothing.
    var isCogBusy: Bool { error?.message == ProbeRunner.cogBusyMessage }
}

/// Reads a Cog `/health-check` answer: `READY` is healthy ("first token" at the end of the JSON), `BUSY` is
/// ``ProbeRunner/cogBusyMessage``, anything else fails the probe naming the status.
struct CogHealthObserver: ProbeBodyObserver {
    private var whole = WholeJSONObserver()
    private var bytes: [UInt8] = []
    /// A health answer is small; more than this is not one.
    static let limit = 256 * 1024

    mutating func consume(_ chunk: UnsafeRawBufferPointer) -> ProbeBodyVerdict {
        guard bytes.count + chunk.count <= Self.limit else { return .failed("the health check's answer is too large") }
        bytes += chunk
        guard whole.consume(chunk) == .firstToken else { return .continue }
        let status = bytes.withUnsafeBufferPointer { CogHealth.status(in: $0) }
        switch status {
        case "READY": return .firstToken
        case "BUSY": return .failed(ProbeRunner.cogBusyMessage)
        case let other?: return .failed("the Cog server is \(other.prefix(32))")
        case nil: return .failed("the health check's answer has no status")
        }
    }
}

/// The whole JSON answer of a Cog predictor that does not stream: its end is the probe's first token, when the
/// prediction succeeded.
struct CogWholeAnswerObserver: ProbeBodyObserver {
    private var whole = WholeJSONObserver()
    private var bytes: [UInt8] = []

    mutating func consume(_ chunk: UnsafeRawBufferPointer) -> ProbeBodyVerdict {
        guard bytes.count + chunk.count <= UpstreamCall.wholeAnswerLimit else { return .failed("the prediction's answer is too large") }
        bytes += chunk
        guard whole.consume(chunk) == .firstToken else { return .continue }
        do {
            if case .error(let message, _)? = try CogAnswerReader.events(bytes).first {
                return .failed("the prediction failed: \(message)")
            }
            return .firstToken
        } catch {
            return .failed(error.detail)
        }
    }
}
