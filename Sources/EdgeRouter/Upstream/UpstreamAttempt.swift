import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

/// A deployment's stream that has produced its first content token, with everything it sent before and with it.
struct PrimedStream: Sendable {
    var stream: UpstreamStream
    /// Frames up to and including the first content frame (the role chunk, for example).
    var frames: [UpstreamFrame]
    /// The provider completed the stream without any content (a legitimate empty answer).
    var completedEarly: Bool
    var timeToFirstByte: Duration
    var timeToFirstToken: Duration
    /// Keeps the request counted as in flight at its deployment until the stream is dropped.
    var inFlight: InFlightToken? = nil
}

/// One try of one deployment, up to its first content token.
struct UpstreamAttempt: Sendable {
    let deployment: Deployment
    let client: HTTPClient
    let body: ByteBuffer
    let logger: Logger

    /// Sends the request and reads until the first content token. The caller bounds it in time.
    func prime() async throws -> PrimedStream {
        let start = ContinuousClock.now
        let label = deployment.label
        var request = HTTPClientRequest(url: deployment.provider.baseURL + "/chat/completions")
        request.method = .POST
        request.headers.reserveCapacity(4 + deployment.provider.headers.count)
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: "text/event-stream")
        if let key = deployment.provider.apiKey, !key.isEmpty {
            request.headers.add(name: "authorization", value: "Bearer \(key)")
        }
        for header in deployment.provider.headers {
            request.headers.add(name: header.name, value: header.value)
        }
        request.body = .bytes(body)

        let response: HTTPClientResponse
        do {
            // The deadline only bounds the wait for the head; the caller's race bounds the first token.
            response = try await client.execute(request, deadline: .distantFuture, logger: logger)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            throw AttemptFailure(.connection, deployment: label, detail: Self.describe(error))
        }
        let timeToFirstByte = ContinuousClock.now - start

        guard (200..<300).contains(response.status.code) else {
            throw await failure(for: response, label: label)
        }

        let stream = UpstreamStream(body: response.body, deploymentLabel: label, idleTimeout: deployment.provider.timeouts.idle)
        var frames: [UpstreamFrame] = []
        while true {
            switch try await stream.next() {
            case .frame(let frame):
                if case .error(let message, _)? = frame.events.first {
                    throw AttemptFailure(.streamError, deployment: label, detail: "stream error before the first token: \(message)")
                }
                frames.append(frame)
                if frame.hasContent {
                    return PrimedStream(
                        stream: stream, frames: frames, completedEarly: false,
                        timeToFirstByte: timeToFirstByte, timeToFirstToken: ContinuousClock.now - start)
                }
            case .done:
                // A complete stream with no content is an answer (an empty completion), not a failure.
                let elapsed = ContinuousClock.now - start
                return PrimedStream(
                    stream: stream, frames: frames, completedEarly: true,
                    timeToFirstByte: timeToFirstByte, timeToFirstToken: elapsed)
            case .closed:
                throw AttemptFailure(.closedBeforeToken, deployment: label, detail: "the stream closed before the first token")
            }
        }
    }

    /// Reads a bounded part of an error body to say what the provider objected to, without echoing anything of ours.
    private func failure(for response: HTTPClientResponse, label: String) async -> AttemptFailure {
        let status = Int(response.status.code)
        var providerMessage = ""
        if let body = try? await response.body.collect(upTo: 64 * 1024) {
            providerMessage = Self.errorMessage(in: body) ?? ""
        }
        let retryAfter = response.headers.first(name: "retry-after").flatMap(Double.init).map {
            Duration.milliseconds(Int64($0 * 1000))
        }
        let cause = AttemptFailure.cause(forStatus: status)
        var detail = "HTTP \(status)"
        if !providerMessage.isEmpty { detail += ": \(providerMessage)" }
        return AttemptFailure(cause, deployment: label, status: status, detail: detail, retryAfter: retryAfter)
    }

    /// The `message` of an OpenAI-style error body (`{"error": {"message": ...}}`), shortened.
    static func errorMessage(in body: ByteBuffer) -> String? {
        let message = body.withUnsafeReadableBytes { raw -> String? in
            var scanner = JSONScanner(raw.bindMemory(to: UInt8.self))
            var message: String?
            do {
                try scanner.enterObject()
                while let key = try scanner.nextMember() {
                    guard key.matches("error") else {
                        try scanner.skipValue()
                        continue
                    }
                    message = nil
                    if try scanner.consumeNull() { continue }
                    try scanner.enterObject()
                    while let key = try scanner.nextMember() {
                        if key.matches("message") { message = try scanner.readNullableString() } else { try scanner.skipValue() }
                    }
                }
                try scanner.finish()
            } catch {
                return nil
            }
            return message
        }
        guard let message else { return nil }
        return message.count > 500 ? String(message.prefix(500)) + "…" : message
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return "the provider closed the connection"
            case .readTimeout: return "read timed out"
            default: return "connection failed (\(error))"
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("NIOSSL") || text.contains("handshake") { return "TLS failure" }
        return "connection failed (\(text.prefix(200)))"
    }
}
