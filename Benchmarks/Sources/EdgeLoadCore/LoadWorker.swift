import NIOCore
import NIOHTTP1
import NIOPosix

/// The part of a worker both load shapes share: its connections, its recorder, its window and its sweeper.
///
/// A worker lives on one event loop and all its state is touched only there (every callback it registers runs
/// on that loop), so it needs no locks; runs with several threads have one worker per loop and merge their
/// recorders at the end.
class LoadWorker: LoadConnectionDelegate {
    let loop: any EventLoop
    let plan: LoadPlan
    /// The request built for each target of the plan.
    let templates: [RequestTemplate]
    /// Index of this worker among the run's workers, and their number: used to interleave schedules.
    let index: Int
    let workers: Int
    /// When the schedule starts, and the measured window.
    let origin: NIODeadline
    let measureFrom: NIODeadline
    let measureUntil: NIODeadline
    /// After this, whatever is still in flight is unfinished and the worker reports.
    let hardStop: NIODeadline
    let timeout: TimeAmount
    /// Resolved once, per target: a name lookup per connect (and Happy Eyeballs) would dominate connect time on
    /// loopback.
    let addresses: [SocketAddress]
    private let stallNanos: Int64
    private let lateFirstTokenNanos: Int64?

    var recorder = LoadRecorder()
    /// Every open (or opening) connection, to sweep for timeouts and to close at the end.
    var connections: [ObjectIdentifier: LoadConnection] = [:]
    /// Connects in progress, per target.
    var connecting: [Int]
    private(set) var finished = false
    private let promise: EventLoopPromise<LoadRecorder>
    private var sweeps = 0

    /// How often timeouts are checked; the in-flight count is sampled every fifth sweep.
    static let sweepInterval = TimeAmount.milliseconds(50)

    init(loop: any EventLoop, plan: LoadPlan, addresses: [SocketAddress], index: Int, workers: Int,
        origin: NIODeadline, measureFrom: NIODeadline, promise: EventLoopPromise<LoadRecorder>)
    {
        self.loop = loop
        self.addresses = addresses
        self.plan = plan
        self.templates = plan.targets.map { RequestTemplate(target: $0.url, spec: plan.request) }
        self.connecting = Array(repeating: 0, count: plan.targets.count)
        self.index = index
        self.workers = workers
        self.origin = origin
        self.measureFrom = measureFrom
        self.measureUntil = measureFrom + .nanoseconds(Int64(plan.durationSeconds * 1e9))
        self.hardStop = measureUntil + .nanoseconds(Int64(plan.drainSeconds * 1e9))
        self.timeout = .nanoseconds(Int64(plan.timeoutSeconds * 1e9))
        self.stallNanos = Int64(plan.stallMilliseconds * 1e6)
        self.lateFirstTokenNanos = plan.expectedTTFTMilliseconds.map { Int64(($0 + plan.stallMilliseconds) * 1e6) }
        self.promise = promise
    }

    /// Starts the schedule; subclasses begin here.
    func start() {
        scheduleSweep()
        loop.assumeIsolated().scheduleTask(deadline: hardStop) { [self] in
            stop()
        }
    }

    /// Opens a connection to a target; `ready` gets it once connected, or nil if the connect failed.
    func openConnection(to target: Int = 0, _ ready: @escaping (LoadConnection?) -> Void) {
        let connection = LoadConnection(
            template: templates[target], target: target, servedByHeader: plan.servedByHeader, delegate: self)
        let bound = NIOLoopBound(connection, eventLoop: loop)
        connecting[target] += 1
        recorder.connectionsOpened += 1
        connections[ObjectIdentifier(connection)] = connection
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                }
            }
            .connect(to: addresses[target])
            .assumeIsolated()
            .whenComplete { [self] result in
                connecting[target] -= 1
                switch result {
                case .success:
                    // A connect that completes after the run ended is closed unused.
                    if finished { connection.close() } else { ready(connection) }
                case .failure:
                    connections[ObjectIdentifier(connection)] = nil
                    ready(nil)
                }
            }
    }

    /// Records a finished request if it falls in the window.
    func record(_ request: InFlightRequest, _ outcome: RequestOutcome, _ timing: StreamTiming, end: NIODeadline) {
        guard request.measured else { return }
        if plan.keepRequests { keep(request, outcome, timing, end: end) }
        switch outcome {
        case .failure(let kind):
            recorder.fail(kind)
        case .success:
            recorder.succeeded += 1
            LoadRecorder.record((end - request.start).nanoseconds, in: &recorder.total)
            guard let first = timing.firstContentAt else { return }
            let ttft = (first - request.start).nanoseconds
            LoadRecorder.record(ttft, in: &recorder.timeToFirstToken)
            var stalled = false
            if let late = lateFirstTokenNanos, ttft > late {
                recorder.lateFirstTokens += 1
                stalled = true
            }
            for gap in timing.gaps {
                LoadRecorder.record(gap, in: &recorder.gap)
                if gap > stallNanos {
                    recorder.stalledGaps += 1
                    stalled = true
                }
            }
            if stalled { recorder.streamsWithStall += 1 }
            recorder.contentDeltas += timing.contentDeltas
        }
    }

    /// Adds a measured request to the per-request record. Who served it: the target a client-side strategy chose,
    /// or what the proxy said in the served-by header.
    private func keep(_ request: InFlightRequest, _ outcome: RequestOutcome, _ timing: StreamTiming, end: NIODeadline) {
        var entry = RequestRecord(
            startNanos: (request.start - measureFrom).nanoseconds, totalNanos: (end - request.start).nanoseconds,
            servedBy: plan.strategy == .url ? timing.servedBy : plan.targets[request.target].name)
        switch outcome {
        case .failure(let kind): entry.failure = kind
        case .success: entry.ttftNanos = timing.firstContentAt.map { ($0 - request.start).nanoseconds }
        }
        recorder.requests.append(entry)
    }

    /// Whether a request started now belongs to the measured window.
    func isMeasured(_ start: NIODeadline) -> Bool {
        start >= measureFrom && start < measureUntil
    }

    /// Requests in flight now, for the in-flight samples; subclasses add what they queue.
    var inFlight: Int {
        connections.values.reduce(0) { $0 + ($1.isBusy ? 1 : 0) }
    }

    private func scheduleSweep() {
        loop.assumeIsolated().scheduleTask(in: Self.sweepInterval) { [self] in
            guard !finished else { return }
            let now = NIODeadline.now()
            sweep(now: now)
            sweeps += 1
            if sweeps % 5 == 0, now >= measureFrom, now < measureUntil {
                recorder.inFlightSamples.append(inFlight)
            }
            scheduleSweep()
        }
    }

    /// Times out requests older than the timeout; subclasses also expire what they queue.
    func sweep(now: NIODeadline) {
        for connection in connections.values {
            if let active = connection.active, now - active.start > timeout {
                connection.abort(.timeout, at: now)
            }
        }
    }

    /// Whether the worker may finish early: nothing more to start and nothing in flight.
    func checkDone() {
        guard !finished, isIdleForever else { return }
        stop()
    }

    /// Subclasses: true once no request will be started again and none is in flight.
    var isIdleForever: Bool { false }

    /// Ends the run: whatever is in flight is unfinished, every connection is closed, the recorder is handed over.
    func stop() {
        guard !finished else { return }
        finished = true
        let now = NIODeadline.now()
        abandonQueued(now: now)
        for connection in connections.values {
            connection.abort(.unfinished, at: now)
            connection.close()
        }
        promise.succeed(recorder)
    }

    /// Subclasses: counts queued requests as unfinished.
    func abandonQueued(now: NIODeadline) {}

    // MARK: LoadConnectionDelegate (overridden)

    func connection(
        _ connection: LoadConnection, finished request: InFlightRequest, outcome: RequestOutcome, timing: StreamTiming,
        at end: NIODeadline, reusable: Bool
    ) {
        record(request, outcome, timing, end: end)
    }

    func connectionClosed(_ connection: LoadConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }
}

/// Open loop: requests start at fixed times whatever the answers do.
///
/// A request due while every connection is busy waits in a queue (and a new connection is opened, up to the
/// limit); its latency still counts from the time it was due, so a server that falls behind shows it.
///
/// With several targets, each request goes where the plan's picker says when it is due, and each target has its
/// own idle connections and queue.
final class OpenLoopWorker: LoadWorker {
    private let intervalNanos: Double
    private let count: Int
    private var next = 0
    private var picker: TargetPicker
    /// Per target: idle connections, and requests waiting for one.
    private var idle: [[LoadConnection]]
    private var queues: [CircularBuffer<InFlightRequest>]

    init(loop: any EventLoop, plan: LoadPlan, addresses: [SocketAddress], rate: Double, index: Int, workers: Int,
        origin: NIODeadline, promise: EventLoopPromise<LoadRecorder>)
    {
        picker = plan.makePicker()
        idle = Array(repeating: [], count: plan.targets.count)
        queues = Array(repeating: CircularBuffer(), count: plan.targets.count)
        let measureFrom = origin + .nanoseconds(Int64(plan.warmupSeconds * 1e9))
        intervalNanos = 1e9 / rate
        // This worker takes every `workers`-th slot of the schedule, offset by its index.
        let total = Int((plan.warmupSeconds + plan.durationSeconds) * rate)
        count = total / workers + (index < total % workers ? 1 : 0)
        super.init(
            loop: loop, plan: plan, addresses: addresses, index: index, workers: workers, origin: origin,
            measureFrom: measureFrom, promise: promise)
    }

    private func due(_ slot: Int) -> NIODeadline {
        origin + .nanoseconds(Int64(Double(slot * workers + index) * intervalNanos))
    }

    override func start() {
        super.start()
        scheduleTick()
    }

    private func scheduleTick() {
        guard next < count else {
            checkDone()
            return
        }
        loop.assumeIsolated().scheduleTask(deadline: due(next)) { [self] in tick() }
    }

    /// Starts every request that is due by now, then sleeps until the next one.
    private func tick() {
        guard !finished else { return }
        let now = NIODeadline.now()
        while next < count {
            let start = due(next)
            guard start <= now else { break }
            next += 1
            let measured = isMeasured(start)
            if measured {
                recorder.started += 1
                LoadRecorder.record((now - start).nanoseconds, in: &recorder.scheduleLag)
            }
            let target = picker.pick(offsetNanos: (start - measureFrom).nanoseconds)
            dispatch(InFlightRequest(start: start, measured: measured, target: target))
        }
        scheduleTick()
    }

    private func dispatch(_ request: InFlightRequest) {
        if let connection = idle[request.target].popLast() {
            connection.send(request)
            return
        }
        queues[request.target].append(request)
        growIfNeeded(request.target)
    }

    /// Connects in progress at once, at most: a burst of queued requests (a hiccup of the server or of this
    /// machine) would otherwise open a connection per request, and the pool would balloon for good.
    static let maxConnectsInProgress = 16

    /// Opens connections to a target for its queued requests not already covered by connects in progress,
    /// within the limits.
    private func growIfNeeded(_ target: Int) {
        while connecting[target] < min(queues[target].count, Self.maxConnectsInProgress),
            connections.count < plan.maxConnections
        {
            openConnection(to: target) { [self] connection in
                guard let connection else {
                    // One queued request pays for the failed connect, so a dead server fails requests, not the run.
                    if let request = queues[target].popFirst() {
                        record(request, .failure(.connect), StreamTiming(), end: .now())
                    }
                    checkDone()
                    return
                }
                handOut(connection)
            }
        }
    }

    /// Gives a free connection the oldest request queued for its target, or parks it.
    private func handOut(_ connection: LoadConnection) {
        if let request = queues[connection.target].popFirst() {
            connection.send(request)
        } else {
            idle[connection.target].append(connection)
            checkDone()
        }
    }

    override var inFlight: Int { super.inFlight + queues.reduce(0) { $0 + $1.count } }

    override var isIdleForever: Bool {
        next >= count && queues.allSatisfy(\.isEmpty) && connections.values.allSatisfy { !$0.isBusy }
    }

    override func sweep(now: NIODeadline) {
        super.sweep(now: now)
        for target in queues.indices {
            while let oldest = queues[target].first, now - oldest.start > timeout {
                _ = queues[target].popFirst()
                record(oldest, .failure(.timeout), StreamTiming(), end: now)
            }
        }
    }

    override func abandonQueued(now: NIODeadline) {
        for target in queues.indices {
            while let request = queues[target].popFirst() {
                record(request, .failure(.unfinished), StreamTiming(), end: now)
            }
            idle[target].removeAll()
        }
    }

    override func connection(
        _ connection: LoadConnection, finished request: InFlightRequest, outcome: RequestOutcome, timing: StreamTiming,
        at end: NIODeadline, reusable: Bool
    ) {
        super.connection(connection, finished: request, outcome: outcome, timing: timing, at: end, reusable: reusable)
        guard !finished else { return }
        if reusable {
            handOut(connection)
        } else {
            checkDone()
        }
    }

    override func connectionClosed(_ connection: LoadConnection) {
        super.connectionClosed(connection)
        if let position = idle[connection.target].firstIndex(where: { $0 === connection }) {
            idle[connection.target].remove(at: position)
        }
        guard !finished else { return }
        growIfNeeded(connection.target)
        checkDone()
    }
}

/// Holds a fixed number of requests (streams) in flight: each slot has its own connection and re-issues its
/// request as soon as the previous one ends, until the window closes.
final class ConcurrencyWorker: LoadWorker {
    private struct Slot {
        var connection: LoadConnection?
    }

    private var slots: [Slot]
    private var slotOfConnection: [ObjectIdentifier: Int] = [:]
    private let firstSlot: Int
    private let totalSlots: Int
    /// Pause before re-issuing after a failure, so a server that fails at once is not hammered in a loop.
    private static let retryPause = TimeAmount.milliseconds(100)

    init(loop: any EventLoop, plan: LoadPlan, addresses: [SocketAddress], concurrency: Int, index: Int, workers: Int,
        origin: NIODeadline, promise: EventLoopPromise<LoadRecorder>)
    {
        let measureFrom = origin + .nanoseconds(Int64((plan.rampSeconds + plan.warmupSeconds) * 1e9))
        let share = concurrency / workers + (index < concurrency % workers ? 1 : 0)
        slots = Array(repeating: Slot(), count: share)
        firstSlot = index
        totalSlots = concurrency
        super.init(
            loop: loop, plan: plan, addresses: addresses, index: index, workers: workers, origin: origin,
            measureFrom: measureFrom, promise: promise)
    }

    override func start() {
        super.start()
        let rampNanos = plan.rampSeconds * 1e9
        for slot in slots.indices {
            // Slot k of the whole run opens at k/N of the ramp, so the streams do not march in step.
            let global = slot * workers + firstSlot
            let at = origin + .nanoseconds(Int64(Double(global) * rampNanos / Double(max(totalSlots, 1))))
            loop.assumeIsolated().scheduleTask(deadline: at) { [self] in connect(slot) }
        }
    }

    private var windowOpen: Bool { !finished && NIODeadline.now() < measureUntil }

    private func connect(_ slot: Int) {
        guard windowOpen else { return checkDone() }
        openConnection { [self] connection in
            guard let connection else {
                let now = NIODeadline.now()
                if isMeasured(now) {
                    recorder.started += 1
                    recorder.fail(.connect)
                }
                retry(slot, after: Self.retryPause)
                return
            }
            slots[slot].connection = connection
            slotOfConnection[ObjectIdentifier(connection)] = slot
            issue(slot)
        }
    }

    private func retry(_ slot: Int, after pause: TimeAmount) {
        guard windowOpen else { return checkDone() }
        loop.assumeIsolated().scheduleTask(in: pause) { [self] in
            if slots[slot].connection == nil { connect(slot) } else { issue(slot) }
        }
    }

    private func issue(_ slot: Int) {
        guard windowOpen, let connection = slots[slot].connection, !connection.isBusy else { return checkDone() }
        let now = NIODeadline.now()
        let measured = isMeasured(now)
        if measured { recorder.started += 1 }
        connection.send(InFlightRequest(start: now, measured: measured))
    }

    override var isIdleForever: Bool {
        !windowOpen && connections.values.allSatisfy { !$0.isBusy }
    }

    override func connection(
        _ connection: LoadConnection, finished request: InFlightRequest, outcome: RequestOutcome, timing: StreamTiming,
        at end: NIODeadline, reusable: Bool
    ) {
        super.connection(connection, finished: request, outcome: outcome, timing: timing, at: end, reusable: reusable)
        guard let slot = slotOfConnection[ObjectIdentifier(connection)] else { return }
        guard reusable else { return checkDone() }  // connectionClosed reconnects the slot
        if case .success = outcome {
            issue(slot)
        } else {
            retry(slot, after: Self.retryPause)
        }
    }

    override func connectionClosed(_ connection: LoadConnection) {
        super.connectionClosed(connection)
        guard let slot = slotOfConnection.removeValue(forKey: ObjectIdentifier(connection)) else { return }
        slots[slot].connection = nil
        retry(slot, after: .milliseconds(10))
    }
}
