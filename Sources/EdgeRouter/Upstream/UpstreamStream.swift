import AsyncHTTPClient
import NIOCore

/// An open upstream response body, read frame by frame.
///
/// It is created by the attempt that primes it (reads up to the first token) and then handed to the exchange
/// that streams the rest; dropping it cancels the upstream request (async-http-client terminates the
/// transaction when the body iterator goes away), which is how losing attempts and abandoned streams are closed.
final class UpstreamStream: @unchecked Sendable {
    // @unchecked: the iterator and parser states are mutable and not Sendable. Exactly one task uses an
    // UpstreamStream at a time: the attempt task until it posts it to the race's mailbox, then the exchange task.
    // The mailbox's lock orders the hand-over; a stream nobody takes is only dropped, never read.

    /// What reading the next piece of the stream gave.
    enum Step {
        case frame(UpstreamFrame)
        /// The provider said the stream is complete (`[DONE]`).
        case done
        /// The connection closed without the provider saying the stream was complete.
        case closed
    }

    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var parser = SSEParser()
    private var decoder = OpenAIStreamDecoder()
    private var pending: [SSEEvent] = []
    private var pendingIndex = 0
    private var ended = false
    let deploymentLabel: String
    /// The provider's idle timeout, which the upstream client enforces as its read timeout.
    let idleTimeout: Duration

    init(body: HTTPClientResponse.Body, deploymentLabel: String, idleTimeout: Duration) {
        self.iterator = body.makeAsyncIterator()
        self.deploymentLabel = deploymentLabel
        self.idleTimeout = idleTimeout
        pending.reserveCapacity(4)
    }

    /// Reads until the next frame, the end of the stream, or an error (``AttemptFailure``).
    func next() async throws -> Step {
        while true {
            while pendingIndex < pending.count {
                let event = pending[pendingIndex]
                pendingIndex += 1
                do {
                    switch try decoder.decode(event) {
                    case .frame(let frame): return .frame(frame)
                    case .done: return .done
                    case .skip: continue
                    }
                } catch {
                    throw AttemptFailure(.malformed, deployment: deploymentLabel, detail: error.detail)
                }
            }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if ended { return .closed }
            let buffer: ByteBuffer?
            do {
                buffer = try await iterator.next()
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as HTTPClientError where error == .readTimeout {
                throw AttemptFailure(
                    .connection, deployment: deploymentLabel, detail: "no data for \(Int(idleTimeout.milliseconds)) ms")
            } catch {
                throw AttemptFailure(.connection, deployment: deploymentLabel, detail: "the connection broke: \(error)")
            }
            do {
                if let buffer {
                    try buffer.withUnsafeReadableBytes { bytes in
                        try parser.parse(bytes) { pending.append($0) }
                    }
                } else {
                    ended = true
                    if let last = parser.finish() { pending.append(last) }
                }
            } catch {
                throw AttemptFailure(.malformed, deployment: deploymentLabel, detail: "a stream line exceeded the size limit")
            }
        }
    }
}
