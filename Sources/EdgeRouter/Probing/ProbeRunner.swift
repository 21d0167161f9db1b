import EdgeWire
import NIOCore
import Probe
import RoutingCore

/// Sends one probe to one deployment: a real streaming request in the provider's dialect with a tiny prompt, timed
/// by libcurl phase by phase and by the data plane's own first-token detection. Used by the background scheduler
/// and by `edge-router probe`.
public struct ProbeRunner: Sendable {
    let engine: ProbeEngine
    let settings: ProbeSettings

    /// - Throws: when libcurl cannot be set up.
    public init(settings: ProbeSettings) throws(EdgeRouterError) {
        self.settings = settings
        do {
            engine = try ProbeEngine(configuration: .init(maxConcurrentTransfers: max(settings.maxConcurrent, 1)))
        } catch {
            throw EdgeRouterError(.internalError, "the probe engine could not start: \(error.message)")
        }
    }

    /// Probes `deployment` of a model of `kind`; `cold` opens a fresh connection so connect and TLS are measured.
    /// An embedding model's probe embeds the probe prompt, and its "first token" is the whole answer, as for live
    /// embeddings requests.
    public func probe(_ deployment: Deployment, probe: ModelProbe, kind: ModelKind = .chat, cold: Bool) async -> ProbeResult {
        if kind == .embedding { return await embeddingProbe(deployment, text: probe.prompt ?? settings.prompt, cold: cold) }
        if deployment.provider.dialect == .cog { return await cogProbe(deployment, probe: probe, cold: cold) }
        let body: ByteBuffer
        do {
            body = try promptBody(for: deployment, probe: probe)
        } catch {
            return .failed(ProbeError(code: .invalidRequest, message: error.message))
        }
        let dialect = deployment.provider.dialect
        let request = ProbeRequest(
            url: ProviderEndpoint.url(for: deployment),
            headers: ProviderEndpoint.headers(for: deployment.provider),
            body: Array(body.readableBytesView),
            reuseConnection: !cold,
            tls: .init(caBundlePath: deployment.provider.caBundlePath),
            timeouts: .init(
                connect: settings.connectTimeout, firstToken: settings.firstTokenTimeout,
                total: settings.firstTokenTimeout + .seconds(5)),
            stopAfterFirstToken: true,
            bodyObserver: { FirstTokenObserver(dialect: dialect) })
        do {
            return try await engine.probe(request)
        } catch {
            return .failed(error)
        }
    }

    /// The probe prompt as a chat request in the deployment's dialect: it starts neutral and is written as a
    /// translated request is.
    func promptBody(for deployment: Deployment, probe: ModelProbe) throws(WireError) -> ByteBuffer {
        let prompt = ChatRequest(
            model: deployment.upstreamModel, stream: true,
            messages: [ChatMessage(role: .user, parts: [.text(probe.prompt ?? settings.prompt)])],
            maxTokens: probe.maxTokens ?? settings.maxTokens)
        return try TranslatedBody.make(prompt, for: deployment, defaultMaxTokens: settings.maxTokens)
    }

    /// A one-input embeddings request, timed to the end of its answer.
    private func embeddingProbe(_ deployment: Deployment, text: String, cold: Bool) async -> ProbeResult {
        let body: ByteBuffer
        do {
            body = try ProviderEndpoint.embeddingBody(EmbeddingRequest(model: deployment.upstreamModel, inputs: [.text(text)]), for: deployment)
        } catch {
            return .failed(ProbeError(code: .invalidRequest, message: error.message))
        }
        guard let url = ProviderEndpoint.embeddingsURL(for: deployment) else {
            return .failed(ProbeError(code: .invalidRequest, message: "the provider has no embeddings endpoint"))
        }
        let request = ProbeRequest(
            url: url,
            headers: ProviderEndpoint.embeddingHeaders(for: deployment.provider),
            body: Array(body.readableBytesView),
            reuseConnection: !cold,
            tls: .init(caBundlePath: deployment.provider.caBundlePath),
            timeouts: .init(
                connect: settings.connectTimeout, firstToken: settings.firstTokenTimeout,
                total: settings.firstTokenTimeout + .seconds(5)),
            stopAfterFirstToken: true,
            bodyObserver: { WholeJSONObserver() })
        do {
            return try await engine.probe(request)
        } catch {
            return .failed(error)
        }
    }

    /// Stops the probe thread; pending probes fail. Suspends until the thread has exited, blocking no thread.
    public func shutdown() async {
        await engine.shutdown()
    }
}

extension ProbeResult {
    /// A result for a probe that measured nothing (cancelled, or the engine was shut down).
    static func failed(_ error: ProbeError) -> ProbeResult {
        ProbeResult(
            httpStatus: nil, dns: .zero, tcpConnect: .zero, tlsHandshake: .zero, timeToFirstByte: nil,
            timeToFirstToken: nil, total: .zero, connectionReused: false, httpVersion: .unknown, bytesReceived: 0,
            stoppedAfterFirstToken: false, error: error)
    }
}
