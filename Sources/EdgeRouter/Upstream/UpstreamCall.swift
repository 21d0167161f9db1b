import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// One request to one deployment, from sending it to the end of its stream.
///
/// async-http-client calls this delegate on the client connection's event loop, one callback at a time, and
/// prefers a pooled connection on that loop, so that usually one thread reads a frame and writes it on. (A
/// preference, not a requirement: async-http-client closes a connection made for a required loop after one
/// request.) The callbacks parse the SSE stream right there and queue what they find for one reader: until the
/// first content token the call reports to its race (`onFirstToken`, once: the first token, or why there will be
/// none); the exchange then reads the queued frames with ``next()``. No task runs per call, and a frame reaches its
/// reader with one wake-up of the reader's task. Every call must end in ``cancel()`` or in its stream's end;
/// ``cancel()`` after the end is harmless.
final class UpstreamCall: HTTPClientResponseDelegate, @unchecked Sendable {
    // @unchecked: the stored `var`s below the lock are touched only by async-http-client's callbacks, which it
    // makes one at a time on the delegate's event loop (and by `send` before the request exists). What the
    // reader shares with the callbacks is in `state`.
    typealias Response = Void

    /// How the first token went, reported once to the call's race.
    enum FirstToken: Sendable {
        case arrived(FirstTokenTiming)
        case failed(AttemptFailure)
    }

    /// When the first byte and the first content token came, measured from sending the request.
    struct FirstTokenTiming: Sendable {
        var timeToFirstByte: Duration
        var timeToFirstToken: Duration
    }

    let deployment: Deployment
    private let onFirstToken: @Sendable (FirstToken) -> Void
    /// Keeps the request counted as in flight at its deployment until the call is dropped.
    private let inFlight: InFlightToken?

    private struct State {
        var queue = Queue()
        var task: HTTPClient.Task<Void>?
        /// `cancel()` stopped the stream while it was open (perhaps before the request was made).
        var cancelled = false
    }

    private let state = Mutex(State())

    // Callback-confined state (see above).
    var started = ContinuousClock.now
    var timeToFirstByte: Duration?
    var reported = false
    var parser = SSEParser()
    var decoder = OpenAIStreamDecoder()
    /// A non-2xx answer: its status and `Retry-After`, and the start of its body, for the failure's message.
    var rejection: (status: Int, retryAfter: Duration?, body: ByteBuffer)?

    init(deployment: Deployment, inFlight: InFlightToken?, onFirstToken: @escaping @Sendable (FirstToken) -> Void) {
        self.deployment = deployment
        self.inFlight = inFlight
        self.onFirstToken = onFirstToken
    }

    /// Sends the chat request (`body`, already in the provider's dialect) on a connection of `eventLoop`.
    func send(with client: HTTPClient, body: ByteBuffer, on eventLoop: any EventLoop, logger: Logger) {
        let provider = deployment.provider
        var headers = HTTPHeaders()
        headers.reserveCapacity(4 + provider.headers.count)
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "accept", value: "text/event-stream")
        if let key = provider.apiKey, !key.isEmpty { headers.add(name: "authorization", value: "Bearer \(key)") }
        for header in provider.headers { headers.add(name: header.name, value: header.value) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(
                url: provider.baseURL + "/chat/completions", method: .POST, headers: headers, body: .byteBuffer(body))
        } catch {
            fail(AttemptFailure(.connection, deployment: deployment.label, detail: "the provider's URL is not usable (\(error))"), task: nil)
            return
        }
        started = ContinuousClock.now
        let task = client.execute(request: request, delegate: self, eventLoop: .delegate(on: eventLoop), logger: logger)
        let cancelled = state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    /// The next step of the stream: frames in order, then one terminal step. One reader at a time.
    func next() async -> Step {
        if case .step(let step, let resume) = state.withLock({ $0.queue.take() }) {
            resume?.succeed()
            return step
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> (Step, EventLoopPromise<Void>?)? in
                    switch state.queue.take() {
                    case .step(let step, let resume): return (step, resume)
                    case .empty:
                        state.queue.wait(continuation)
                        return nil
                    }
                }
                if let (step, resume) = ready {
                    resume?.succeed()
                    continuation.resume(returning: step)
                }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Stops the call: the reader gets `cancelled`, and a request still running is cancelled, which closes its
    /// connection. A stream that already ended is left to finish, so its connection goes back to the pool.
    func cancel() {
        let (action, task) = state.withLock { state in
            let action = state.queue.cancel()
            if action.wasOpen { state.cancelled = true }
            return (action, state.task)
        }
        action.paused?.succeed()
        action.waiter?.resume(returning: .cancelled)
        if action.wasOpen { task?.cancel() }
    }

    /// Queues a step for the reader (callback side).
    func push(_ step: Step) {
        if case .resume(let waiter, let step) = state.withLock({ $0.queue.push(step) }) {
            waiter.resume(returning: step)
        }
    }

    /// Reports the first token's fate to the race, once (callback side).
    func report(_ outcome: FirstToken) {
        guard !reported else { return }
        reported = true
        onFirstToken(outcome)
    }

    /// Ends the stream with a failure: before the first token it is the race's to handle, after it the reader's.
    /// `task` is the request to cancel, which closes its connection (nil when the request is over or was never
    /// made).
    func fail(_ failure: AttemptFailure, task: HTTPClient.Task<Void>?) {
        push(.failed(failure))
        report(.failed(failure))
        task?.cancel()
    }

    /// A future that completes when the reader has caught up, if it is too far behind (callback side).
    func backpressure(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let promise: EventLoopPromise<Void>? = state.withLock { state in
            guard state.queue.isFull, !state.queue.isClosed else { return nil }
            let promise = eventLoop.makePromise(of: Void.self)
            state.queue.pause(promise)
            return promise
        }
        return promise?.futureResult ?? eventLoop.makeSucceededVoidFuture()
    }

    /// Whether the call was cancelled from outside or its stream has already ended.
    var isClosed: Bool { state.withLock { $0.queue.isClosed } }
}
