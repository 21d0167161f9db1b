import HTTPTypes
import NIOCore
import Synchronization

/// One answer kept for its client: the events of a stream as they were sent (ids included), or a whole answer,
/// independent of the client's connection, so that a client that dropped can fetch what it missed.
///
/// The answer's writer (on its connection's event loop) appends; readers (``StreamRoutes``, on any task) take a
/// replay of what is there and then follow the rest live, each event exactly once. Everything is under one lock:
/// appends are a copy of bytes already produced for the client.
final class StreamBuffer: Sendable {
    /// How the answer is framed.
    enum Framing: Sendable {
        /// Server-sent events, each with its `id:`; readers resume after an id.
        case sse
        /// Gemini's streamed JSON array (no ids): readers fetch it again from the start.
        case jsonArray
        /// A non-streaming answer: readers wait for it and get it whole.
        case whole
    }

    /// How an answer began: the head of a stream (its events follow), or a whole answer (a non-streaming one, or
    /// an error answered before any head).
    enum Start: Sendable {
        case stream(HTTPResponse)
        case whole(HTTPResponse, ByteBuffer)
    }

    /// What a reader gets: how the answer began (or a way to wait for it), the events after its last id, and the
    /// rest as they come (nil when the answer is over).
    struct Subscription: Sendable {
        /// Nil while the answer has not begun: ``waitForStart`` then gives it.
        var start: Start?
        var waitForStart: AsyncStream<Start>?
        var replay: [ByteBuffer]
        var live: AsyncStream<ByteBuffer>?
    }

    private struct State {
        var head: HTTPResponse?
        var events: [ByteBuffer] = []
        var bytes = 0
        var whole: (HTTPResponse, ByteBuffer)?
        var finished = false
        /// Over ``ResumeSettings/maxStreamBytes``: no longer resumable; the events were let go.
        var overflowed = false
        var finishedAt: ContinuousClock.Instant?
        var readers: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
        var startWaiters: [Int: AsyncStream<Start>.Continuation] = [:]
        var nextReader = 0
        /// Times a reader came back for it.
        var resumes = 0
        /// Its client left before the end and no reader has had the whole answer since: a draining node waits
        /// for it to be fetched.
        var owed = false
        /// What keeps the answer's producer alive while no client holds it (its responder).
        var keeper: Keeper?
    }

    let requestID: String
    /// The gateway key that made the request: only it may read the answer.
    let keyID: String
    let framing: Framing
    private let maxBytes: Int
    private let state = Mutex(State())
    /// Tells the registry how the buffer's size changed (it keeps the total).
    private let sizeChanged: @Sendable (Int) -> Void
    /// Tells the registry that the answer finished or was delivered (a draining node waits for both).
    private let settled: @Sendable () -> Void

    init(
        requestID: String, keyID: String, framing: Framing, maxBytes: Int,
        sizeChanged: @escaping @Sendable (Int) -> Void, settled: @escaping @Sendable () -> Void = {}
    ) {
        self.requestID = requestID
        self.keyID = keyID
        self.framing = framing
        self.maxBytes = maxBytes
        self.sizeChanged = sizeChanged
        self.settled = settled
    }

    // MARK: The writer's side

    /// The stream's head, as the client got it.
    func start(head: HTTPResponse) {
        let waiters = state.withLock { state in
            state.head = head
            defer { state.startWaiters = [:] }
            return Array(state.startWaiters.values)
        }
        for waiter in waiters {
            waiter.yield(.stream(head))
            waiter.finish()
        }
    }

    /// One event, as sent. Returns false when the buffer went over its limit with this event (the answer is then
    /// no longer resumable).
    @discardableResult
    func append(_ event: ByteBuffer) -> Bool {
        let (readers, accepted, delta) = state.withLock { state -> ([AsyncStream<ByteBuffer>.Continuation], Bool, Int) in
            guard !state.overflowed, !state.finished else { return ([], !state.overflowed, 0) }
            guard state.bytes + event.readableBytes <= maxBytes else {
                // Let go of what is held: readers are told the answer ends here for them.
                let freed = state.bytes
                state.overflowed = true
                state.owed = false
                state.events = []
                state.bytes = 0
                defer { state.readers = [:] }
                return (Array(state.readers.values), false, -freed)
            }
            state.events.append(event)
            state.bytes += event.readableBytes
            return (Array(state.readers.values), true, event.readableBytes)
        }
        // Outside the lock: ending a reader's stream calls back into this buffer.
        for reader in readers {
            if accepted { reader.yield(event) } else { reader.finish() }
        }
        if delta != 0 { sizeChanged(delta) }
        return accepted
    }

    /// A whole answer (or an error answered before any head): what readers of a non-streaming request get.
    func complete(head: HTTPResponse, body: ByteBuffer) {
        let waiters = state.withLock { state -> [AsyncStream<Start>.Continuation] in
            guard !state.finished else { return [] }
            state.whole = (head, body)
            state.bytes += body.readableBytes
            defer { state.startWaiters = [:] }
            return Array(state.startWaiters.values)
        }
        sizeChanged(body.readableBytes)
        for waiter in waiters {
            waiter.yield(.whole(head, body))
            waiter.finish()
        }
        finish()
    }

    /// The answer is over (complete, failed, or cancelled): live readers end.
    func finish() {
        let (readers, waiters) = state.withLock { state in
            guard !state.finished else { return ([AsyncStream<ByteBuffer>.Continuation](), [AsyncStream<Start>.Continuation]()) }
            state.finished = true
            state.finishedAt = .now
            state.keeper = nil
            defer {
                state.readers = [:]
                state.startWaiters = [:]
            }
            return (Array(state.readers.values), Array(state.startWaiters.values))
        }
        for reader in readers { reader.finish() }
        for waiter in waiters { waiter.finish() }
        settled()
    }

    /// The client left before the end: the answer is owed to it until a reader has had all of it.
    func clientLeft() {
        state.withLock { state in
            if !state.overflowed { state.owed = true }
        }
    }

    /// A reader has had the whole answer: nothing is owed any more.
    func delivered() {
        state.withLock { $0.owed = false }
        settled()
    }

    /// Keeps `producer` alive until the answer is over: its client left, and nothing else holds it.
    func keep(_ producer: AnyObject) {
        let keeper = Keeper(object: producer)
        state.withLock { state in
            if !state.finished { state.keeper = keeper }
        }
    }

    /// A strong reference to the producer, only held, never used. `@unchecked Sendable` is safe because the
    /// producer lives on its event loop and is driven from there alone: holding it from another thread touches
    /// none of its state.
    private struct Keeper: @unchecked Sendable {
        let object: AnyObject
    }

    // MARK: Readers

    /// A reader's view, atomically: how the answer began (or a wait for it), the events after `afterID` (ids count
    /// from 1) and a live feed of the rest. Nil when the answer is no longer resumable.
    func subscribe(after afterID: Int) -> Subscription? {
        state.withLock { state in
            guard !state.overflowed else { return nil }
            state.resumes += 1
            if let whole = state.whole {
                return Subscription(start: .whole(whole.0, whole.1), replay: [])
            }
            var subscription = Subscription(start: state.head.map(Start.stream), replay: [])
            if state.head == nil, !state.finished {
                let (stream, continuation) = AsyncStream.makeStream(of: Start.self)
                let id = state.nextReader
                state.nextReader += 1
                state.startWaiters[id] = continuation
                subscription.waitForStart = stream
            }
            guard framing != .whole else { return subscription }
            let from = min(max(0, afterID), state.events.count)
            subscription.replay = Array(state.events[from...])
            guard !state.finished else { return subscription }
            let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            let id = state.nextReader
            state.nextReader += 1
            state.readers[id] = continuation
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.readers.removeValue(forKey: id) }
            }
            subscription.live = stream
            return subscription
        }
    }

    /// Whether a reader follows the answer now (so it is attended though its client left).
    var hasReaders: Bool { state.withLock { !$0.readers.isEmpty || !$0.startWaiters.isEmpty } }

    /// Whether a draining node still has to wait for it: live, or left by its client and not fetched since.
    var isSettled: Bool { state.withLock { $0.finished && !$0.owed } }

    /// Times readers came for it.
    var resumes: Int { state.withLock { $0.resumes } }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// When it finished, if it did.
    var finishedAt: ContinuousClock.Instant? { state.withLock { $0.finishedAt } }

    /// Bytes held.
    var bytes: Int { state.withLock { $0.bytes } }
}
