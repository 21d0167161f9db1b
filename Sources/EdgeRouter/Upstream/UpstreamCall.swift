import AsyncHTTPClient
import EdgeWire
import Logging
import NIOCore
import NIOHTTP1
import RoutingCore

/// One request to one deployment, from sending it to the end of its stream.
///
/// A call lives on one event loop, the client connection's: it is sent from there, async-http-client calls it back
/// there (and prefers a pooled connection of that loop; a *required* loop would make it close the connection after
/// one request), and its reader, the exchange, runs there too. So a frame is parsed, handed on and written to the
/// client by one thread, with no lock, no task and no wake-up in between.
///
/// Until the first content token the call reports to its race (`onFirstToken`, once: the first token, or why there
/// will be none) and holds the frames it parses; the winner's reader then attaches and gets the held frames and
/// every later step as it is parsed. Every call ends in ``cancel()`` or in its stream's end; ``cancel()`` after the
/// end is harmless.
///
/// `@unchecked Sendable` is safe because every stored `var` is touched on `eventLoop` only: async-http-client calls
/// the delegate there, one callback at a time, and the exchange calls in from there.
final class UpstreamCall: HTTPClientResponseDelegate, @unchecked Sendable {
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
    let eventLoop: any EventLoop
    /// The race's callback: the first token arrives on async-http-client's delegate callbacks, and no task waits
    /// for it. Set to nil once used, which also breaks the cycle through the race.
    private var onFirstToken: ((FirstToken) -> Void)?
    /// Keeps the request counted as in flight at its deployment until the call is dropped.
    private let inFlight: InFlightToken?

    private var inbox = Inbox()
    private weak var reader: (any UpstreamCallReader)?
    private var task: HTTPClient.Task<Void>?
    /// The receiver's pause while the reader is behind.
    private var paused: EventLoopPromise<Void>?

    var started = ContinuousClock.now
    var timeToFirstByte: Duration?
    var reported = false
    var parser = SSEParser()
    var decoder: DialectStreamDecoder
    /// A non-2xx answer: its status and `Retry-After`, and the start of its body, for the failure's message.
    var rejection: (status: Int, retryAfter: Duration?, body: ByteBuffer)?
    /// Turns provider text into what clients and logs may see.
    var errorText = UpstreamErrorText.none
    /// The stream's idle, length and client-stall clock, from sending on.
    var watch: StreamWatch?
    /// A Cog call's prediction: its id (the router's choice, to cancel it by) and the client that cancels it.
    var cogPrediction: (id: String, client: HTTPClient, logger: Logger)?
    /// A Cog predictor that does not stream answers with one JSON object, collected here until it ends.
    var wholeAnswer: ByteBuffer?
    private var watchTimer: Scheduled<Void>?

    init(
        deployment: Deployment, eventLoop: any EventLoop, inFlight: InFlightToken?,
        onFirstToken: @escaping (FirstToken) -> Void
    ) {
        self.deployment = deployment
        self.decoder = DialectStreamDecoder(deployment.provider.dialect)
        self.eventLoop = eventLoop
        self.inFlight = inFlight
        self.onFirstToken = onFirstToken
    }

    /// Sends the chat request (`body`, already in the provider's dialect) with the provider's client of `clients`;
    /// a provider without a client fails the call. `passedOn` are client headers of the provider's own dialect.
    func send(
        with clients: UpstreamClients, body: ByteBuffer, passedOn: [(name: String, value: String)] = [], logger: Logger
    ) {
        let provider = deployment.provider
        errorText = clients.errorText
        guard let client = clients.client(for: provider) else {
            fail(AttemptFailure(.connection, deployment: deployment.label, detail: "no client for the provider"))
            return
        }
        var headers = HTTPHeaders()
        for header in ProviderEndpoint.headers(for: provider, passedOn: passedOn) { headers.add(name: header.name, value: header.value) }
        var url = ProviderEndpoint.url(for: deployment)
        var method = HTTPMethod.POST
        if provider.dialect == .cog {
            // The router names the prediction, so that it can cancel it when the client goes.
            let id = ProviderEndpoint.newPredictionID()
            url = ProviderEndpoint.cogPredictionURL(for: deployment, id: id)
            method = .PUT
            cogPrediction = (id, client, logger)
        }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: method, headers: headers, body: .byteBuffer(body))
        } catch {
            fail(
                AttemptFailure(
                    .connection, deployment: deployment.label, detail: "the provider's URL is not usable",
                    logDetail: errorText.logDetail(error)))
            return
        }
        started = ContinuousClock.now
        watch = StreamWatch(
            idle: provider.timeouts.idle, stream: provider.timeouts.stream, clientStall: clients.clientStallTimeout,
            now: .now())
        armWatch()
        let task = client.execute(request: request, delegate: self, eventLoop: .delegate(on: eventLoop), logger: logger)
        // A call cancelled while `execute` ran (its failure reported synchronously) stops the request now.
        if inbox.isCancelled { task.cancel() } else { self.task = task }
    }

    /// Makes `reader` the call's reader: it gets the steps held so far, then every later one as it is parsed.
    func attach(_ reader: any UpstreamCallReader) {
        self.reader = reader
        var held = inbox.attach()
        while !inbox.isCancelled, let step = held.popFirst() {
            reader.upstreamCall(self, received: step)
        }
        if !inbox.isCancelled { reader.upstreamCallDidFinishBuffer(self) }
        if !reader.isBackedUp { resume() }
    }

    /// Lets a receiver paused for a slow reader go on (the reader caught up).
    func resume() {
        guard let paused else { return }
        self.paused = nil
        watch?.resume(at: .now())
        paused.succeed()
    }

    /// Stops the call: a request still running is cancelled, which closes its connection, and nothing more is
    /// delivered. A stream that already ended is left to finish, so its connection goes back to the pool.
    func cancel() {
        onFirstToken = nil
        let wasOpen = inbox.cancel()
        stopWatch()
        resume()
        if wasOpen {
            task?.cancel()
            cancelPrediction()
        }
    }

    /// Asks the Cog server to cancel the call's prediction (`POST /predictions/{id}/cancel`), once, without waiting:
    /// closing the connection stops a streamed prediction, but not one asked for as a whole JSON answer, which would
    /// hold its slot to the end.
    func cancelPrediction() {
        guard let prediction = cogPrediction else { return }
        cogPrediction = nil
        var headers = HTTPHeaders()
        for header in ProviderEndpoint.headers(for: deployment.provider) where header.name != "accept" && header.name != "content-type" {
            headers.add(name: header.name, value: header.value)
        }
        guard
            let request = try? HTTPClient.Request(
                url: ProviderEndpoint.cogPredictionURL(for: deployment, id: prediction.id, cancel: true), method: .POST,
                headers: headers)
        else { return }
        // Bounded, and nobody waits for it: a server that is gone fails it, which is fine.
        _ = prediction.client.execute(request: request, deadline: .now() + .seconds(5), logger: prediction.logger)
    }

    /// Whether the stream has ended or the call was cancelled.
    var isClosed: Bool { inbox.isClosed }

    /// Hands a step to the reader, or holds it until one attaches (callback side).
    func push(_ step: Step) {
        let action = inbox.push(step)
        if inbox.isClosed { stopWatch() }
        switch action {
        case .deliver(let step):
            reader?.upstreamCall(self, received: step)
        case .overflow:
            fail(
                AttemptFailure(
                    .malformed, deployment: deployment.label,
                    detail: "more than \(Inbox.holdByteLimit >> 20) MiB of frames without content before the first token"),
                cancelRequest: true)
        case .hold, .drop:
            break
        }
    }

    /// Reports the first token's fate to the race, once (callback side).
    func report(_ outcome: FirstToken) {
        guard !reported else { return }
        reported = true
        let onFirstToken = self.onFirstToken
        self.onFirstToken = nil
        onFirstToken?(outcome)
    }

    /// Ends the stream with a failure: before the first token it is the race's to handle, after it the reader's.
    /// A request still running is cancelled, which closes its connection.
    func fail(_ failure: AttemptFailure, cancelRequest: Bool = false) {
        push(.failed(failure))
        report(.failed(failure))
        if cancelRequest {
            task?.cancel()
            cancelPrediction()
        }
    }

    /// A future that completes when the receiver may read on: at once, unless the reader is too far behind
    /// (callback side). Before a reader attaches the receiver never pauses: the held steps are bounded by bytes.
    func backpressure() -> EventLoopFuture<Void> {
        if !inbox.isCancelled { reader?.upstreamCallDidFinishBuffer(self) }
        let behind = inbox.isAttached && (reader?.isBackedUp ?? false)
        guard behind, !inbox.isClosed else { return eventLoop.makeSucceededVoidFuture() }
        if paused == nil { watch?.pause(at: .now()) }
        let promise = paused ?? eventLoop.makePromise(of: Void.self)
        paused = promise
        return promise.futureResult
    }

    // MARK: The stream's clock

    /// The provider sent something (callback side): one clock read per buffer.
    func noteRead() {
        watch?.read(at: .now())
    }

    private func armWatch() {
        guard let watch else { return }
        watchTimer = eventLoop.scheduleTask(deadline: watch.nextCheck) { [weak self] in self?.checkWatch() }
    }

    private func stopWatch() {
        watchTimer?.cancel()
        watchTimer = nil
    }

    /// The timer fired: the provider went quiet, streamed too long, or the client stalled; or all is well and the
    /// timer is armed again for the next moment anything could be wrong.
    private func checkWatch() {
        watchTimer = nil
        guard !isClosed, let watch else { return }
        switch watch.check(at: .now()) {
        case .fine:
            armWatch()
        case .idle:
            fail(
                AttemptFailure(.connection, deployment: deployment.label, detail: "no data for \(Self.millis(watch.idleLimit)) ms"),
                cancelRequest: true)
        case .streamTooLong:
            fail(
                AttemptFailure(
                    .streamTimeout, deployment: deployment.label,
                    detail: "the stream ran longer than \(Self.millis(watch.streamLimit)) ms"),
                cancelRequest: true)
        case .clientStalled:
            fail(
                AttemptFailure(
                    .clientStalled, deployment: deployment.label,
                    detail: "the client read nothing for \(Self.millis(watch.stallLimit)) ms"),
                cancelRequest: true)
            resume()
        }
    }

    private static func millis(_ amount: TimeAmount) -> Int64 { amount.nanoseconds / 1_000_000 }
}

/// Reads an upstream call's steps, on the call's event loop: a callback because the steps arrive on
/// async-http-client's delegate callbacks, and are handed on as they come, with no queue or task between.
protocol UpstreamCallReader: AnyObject {
    /// The next step of the stream: frames in order, then at most one terminal step.
    func upstreamCall(_ call: UpstreamCall, received step: UpstreamCall.Step)
    /// The call has handled one buffer from the provider: a good moment to flush what the steps wrote.
    func upstreamCallDidFinishBuffer(_ call: UpstreamCall)
    /// Whether the reader cannot take more for now; the call then stops reading from the provider until
    /// ``UpstreamCall/resume()``.
    var isBackedUp: Bool { get }
}
