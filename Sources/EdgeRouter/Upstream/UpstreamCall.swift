import AsyncHTTPClient
import EdgeWire
import Logging
import NIOCore
import NIOHTTP1
import RoutingCore

/// One request to one deployment, from sending it to the end of its stream.
///
/// A call lives on one event loop, the client connection's: it takes a pooled connection of that loop
/// (``UpstreamPool``), which calls it back there, and its reader, the exchange, runs there too. So a frame is
/// parsed, handed on and written to the client by one thread, with no lock, no task and no wake-up in between.
///
/// Until the first content token the call reports to its race (`onFirstToken`, once: the first token, or why there
/// will be none) and holds the frames it parses; the winner's reader then attaches and gets the held frames and
/// every later step as it is parsed. Every call ends in ``cancel()`` or in its stream's end; ``cancel()`` after the
/// end is harmless.
///
/// `@unchecked Sendable` is safe because every stored `var` is touched on `eventLoop` only: the connection calls
/// the receiver there, one callback at a time, and the exchange calls in from there.
final class UpstreamCall: UpstreamResponseReceiver, @unchecked Sendable {
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
    /// The race's callback: the first token arrives on the connection's callbacks, and no task waits for it. Set to
    /// nil once used, which also breaks the cycle through the race.
    private var onFirstToken: ((FirstToken) -> Void)?
    /// Keeps the request counted as in flight at its deployment until the call is dropped.
    private let inFlight: InFlightToken?

    private var inbox = Inbox()
    private weak var reader: (any UpstreamCallReader)?
    /// The connection carrying the request, once it has one.
    private var connection: UpstreamConnection?
    /// The request, kept until the response starts: a reused connection that the provider closed as the request
    /// went out is retried once on a fresh one.
    private var request: UpstreamRequest?
    private var pool: UpstreamPool?
    private var hasRetried = false
    /// Reading from the provider waits while the reader is behind.
    private var isPaused = false

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

    /// Sends the chat request (`body`, already in the provider's dialect) on a pooled connection of the call's
    /// loop; a provider without a pool fails the call. `passedOn` are client headers of the provider's own dialect.
    func send(
        with clients: UpstreamClients, body: ByteBuffer, passedOn: [(name: String, value: String)] = [], logger: Logger
    ) {
        let provider = deployment.provider
        errorText = clients.errorText
        guard let pool = clients.pool(for: provider) else {
            fail(
                AttemptFailure(
                    .connection, deployment: deployment.label, detail: "the provider's URL is not usable",
                    logDetail: clients.poolProblem(for: provider)))
            return
        }
        var headers = HTTPHeaders()
        headers.reserveCapacity(8 + passedOn.count + provider.headers.count)
        headers.add(name: "host", value: pool.budget.origin.hostHeader)
        headers.add(name: "content-length", value: String(body.readableBytes))
        for header in ProviderEndpoint.headers(for: provider, passedOn: passedOn) { headers.add(name: header.name, value: header.value) }
        var path = ProviderEndpoint.path(for: deployment)
        var method = HTTPMethod.POST
        if provider.dialect == .cog, let client = clients.client(for: provider) {
            // The router names the prediction, so that it can cancel it when the client goes.
            let id = ProviderEndpoint.newPredictionID()
            path = ProviderEndpoint.cogPredictionPath(id: id)
            method = .PUT
            cogPrediction = (id, client, logger)
        }
        request = UpstreamRequest(
            head: HTTPRequestHead(version: .http1_1, method: method, uri: pool.budget.origin.target(path), headers: headers),
            body: body)
        self.pool = pool
        started = ContinuousClock.now
        watch = StreamWatch(
            idle: provider.timeouts.idle, stream: provider.timeouts.stream, clientStall: clients.clientStallTimeout,
            now: .now())
        armWatch()
        acquireConnection(fresh: false)
    }

    /// Takes a connection from the pool and sends the request on it.
    private func acquireConnection(fresh: Bool) {
        pool?.acquire(on: eventLoop, fresh: fresh) { [self] result in
            switch result {
            case .success(let connection):
                // Cancelled, timed out or failed while the connection was being found: it goes back unused.
                guard !isClosed, let request else {
                    connection.giveBack()
                    return
                }
                guard connection.start(request, receiver: self) else {
                    // It closed while idle, its close not yet seen: as if the provider had closed it as the request
                    // went out (retried once when it had served a request before).
                    upstreamResponse(
                        failed: UpstreamConnectionError(.closedByProvider, retryable: connection.requestsStarted > 0))
                    return
                }
                self.connection = connection
            case .failure(let error):
                upstreamResponse(failed: error)
            }
        }
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
        guard isPaused else { return }
        isPaused = false
        watch?.resume(at: .now())
        connection?.resumeReading(for: self)
    }

    /// Stops the call: a request still running is cancelled, which closes its connection, and nothing more is
    /// delivered. A stream that already ended is left to finish, so its connection goes back to the pool.
    func cancel() {
        onFirstToken = nil
        let wasOpen = inbox.cancel()
        stopWatch()
        resume()
        if wasOpen {
            connection?.abort(for: self)
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
            connection?.abort(for: self)
            cancelPrediction()
        }
    }

    /// Whether the connection may read on (callback side): yes, unless the reader is too far behind. Before a
    /// reader attaches the call never pauses: the held steps are bounded by bytes.
    func mayReadOn() -> Bool {
        let behind = inbox.isAttached && (reader?.isBackedUp ?? false)
        guard behind, !inbox.isClosed else { return true }
        if !isPaused { watch?.pause(at: .now()) }
        isPaused = true
        return false
    }

    /// One burst of reads was handed on (callback side): the reader flushes what it wrote.
    func finishBurst() {
        if !inbox.isCancelled { reader?.upstreamCallDidFinishBuffer(self) }
    }

    /// The request went out, or failed: it is not sent again.
    func forgetRequest() {
        request = nil
    }

    /// A reused connection failed before any byte of the response: the request goes once more on a fresh
    /// connection. False when it was retried already (or is no longer wanted).
    func retryOnFreshConnection() -> Bool {
        guard !hasRetried, request != nil, !isClosed else { return false }
        hasRetried = true
        connection = nil
        acquireConnection(fresh: true)
        return true
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

/// Reads an upstream call's steps, on the call's event loop: a callback because the steps arrive on the
/// connection's callbacks, and are handed on as they come, with no queue or task between.
protocol UpstreamCallReader: AnyObject {
    /// The next step of the stream: frames in order, then at most one terminal step.
    func upstreamCall(_ call: UpstreamCall, received step: UpstreamCall.Step)
    /// The call has handled one buffer from the provider: a good moment to flush what the steps wrote.
    func upstreamCallDidFinishBuffer(_ call: UpstreamCall)
    /// Whether the reader cannot take more for now; the call then stops reading from the provider until
    /// ``UpstreamCall/resume()``.
    var isBackedUp: Bool { get }
}
