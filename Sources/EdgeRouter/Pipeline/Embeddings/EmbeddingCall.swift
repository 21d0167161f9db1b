import AsyncHTTPClient
import EdgeWire
import NIOCore
import RoutingCore

/// One embeddings attempt on one deployment: a plain JSON request and answer (no stream), whose whole answer
/// must arrive within the provider's `first_token_ms` (for an embedding the answer is the first token) and the
/// request's own deadline, whichever comes first.
struct EmbeddingCall {
    /// How an attempt ended.
    enum Outcome {
        /// The vectors, and the attempt's total latency (the deployment's live sample).
        case answered(EmbeddingResult, latency: Duration)
        /// The provider's failure, judged as chat's are (retryable or a rejection of the request).
        case failed(AttemptFailure)
        /// The request's own deadline passed first: nobody's failure.
        case deadlineReached
        /// The answer was larger than `server.max_response_bytes`: the provider answered what it was asked.
        case tooLarge
    }

    /// The start of a non-2xx body kept for the failure's message.
    static let rejectionBodyLimit = 64 * 1024

    let deployment: Deployment
    let client: HTTPClient
    let errorText: UpstreamErrorText
    let maxResponseBytes: Int

    /// Sends `body` (already in the provider's dialect) and reads an answer holding `expected` vectors.
    func run(body: ByteBuffer, expected: Int, deadline: ContinuousClock.Instant) async -> Outcome {
        guard let url = ProviderEndpoint.embeddingsURL(for: deployment) else {
            return .failed(AttemptFailure(.connection, deployment: deployment.label, detail: "the provider has no embeddings endpoint"))
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for header in ProviderEndpoint.embeddingHeaders(for: deployment.provider) {
            request.headers.add(name: header.name, value: header.value)
        }
        request.body = .bytes(body)
        let started = ContinuousClock.now
        let providerLimit = deployment.provider.timeouts.firstToken
        let requestCutsFirst = deadline < started + providerLimit
        let limit = requestCutsFirst ? deadline - started : providerLimit
        let exchange: @Sendable () async throws -> (status: Int, retryAfter: String?, body: ByteBuffer) = { [client, maxResponseBytes, request] in
            let response = try await client.execute(request, timeout: .nanoseconds(max(limit.nanoseconds, 1)))
            let status = Int(response.status.code)
            let size = (200..<300).contains(status) ? maxResponseBytes : Self.rejectionBodyLimit
            let body = try await Self.collect(response.body, upTo: size, cut: !(200..<300).contains(status))
            return (status, response.headers.first(name: "retry-after"), body)
        }
        let answer: (status: Int, retryAfter: String?, body: ByteBuffer)
        do {
            answer = try await Self.within(limit, exchange)
        } catch is EmbeddingCallTimeout {
            return requestCutsFirst ? .deadlineReached : timedOut(providerLimit)
        } catch is NIOTooManyBytesError {
            return .tooLarge
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return requestCutsFirst ? .deadlineReached : timedOut(providerLimit)
        } catch {
            // The client hears the kind of failure; the logs and /admin/routes get the error itself (host, port).
            return .failed(
                AttemptFailure(
                    .connection, deployment: deployment.label, detail: UpstreamErrorText.describe(error),
                    logDetail: errorText.logDetail(error)))
        }
        let latency = ContinuousClock.now - started
        guard (200..<300).contains(answer.status) else { return .failed(rejected(answer.status, answer.retryAfter, answer.body)) }
        do {
            return .answered(try ProviderEndpoint.embeddingResult(answer.body, from: deployment, expected: expected), latency: latency)
        } catch {
            return .failed(AttemptFailure(.malformed, deployment: deployment.label, detail: errorText.sanitize(error.message)))
        }
    }

    private func timedOut(_ limit: Duration) -> Outcome {
        .failed(
            AttemptFailure(
                .firstTokenTimeout, deployment: deployment.label, detail: "no answer within \(limit.nanoseconds / 1_000_000) ms"))
    }

    /// The failure for a non-2xx answer, with a sanitized excerpt of the provider's message.
    private func rejected(_ status: Int, _ retryAfter: String?, _ body: ByteBuffer) -> AttemptFailure {
        var detail = "HTTP \(status)"
        if let message = UpstreamErrorText.message(in: body).map({ errorText.sanitize($0) }), !message.isEmpty {
            detail += ": \(message)"
        }
        return AttemptFailure(
            AttemptFailure.cause(forStatus: status), deployment: deployment.label, status: status, detail: detail,
            retryAfter: retryAfter.flatMap { RetryAfter.parse($0) })
    }

    /// The body up to `limit` bytes: past it, an error (`NIOTooManyBytesError`), or with `cut` the start only.
    private static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int, cut: Bool) async throws -> ByteBuffer {
        guard cut else { return try await body.collect(upTo: limit) }
        var kept = ByteBuffer()
        for try await var part in body {
            let room = limit - kept.readableBytes
            if let slice = part.readSlice(length: min(room, part.readableBytes)) { kept.writeImmutableBuffer(slice) }
            if kept.readableBytes >= limit { break }
        }
        return kept
    }

    /// `work`, cancelled after `limit`: async-http-client's own timeout bounds the head, this bounds the body too.
    private static func within<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw EmbeddingCallTimeout() }
            return value
        }
    }
}

/// An embeddings call ran past its time limit.
private struct EmbeddingCallTimeout: Error {}
