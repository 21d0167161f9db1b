import EdgeWire
import Synchronization
import NIOCore
import RoutingCore

/// An answer being fetched for a cache miss, that identical requests arriving meanwhile follow instead of asking
/// the provider again (coalescing): each follower gets the frames so far at once, then every frame as it comes,
/// on its own event loop, and the answer's end or its failure.
///
/// The request that fetches it (the leader) publishes; followers subscribe. Thread-safe: leader and followers run
/// on different event loops; the state sits behind one lock and events are delivered with `execute` on each
/// follower's loop, which keeps their order.
final class CacheFill: Sendable {
    /// What a follower hears.
    enum Event: Sendable {
        /// The first token came from `provider` (its dialect says how to read the frames).
        case started(Dialect, provider: String, upstreamModel: String)
        case frame(UpstreamFrame)
        /// The answer is complete.
        case completed
        /// The answer failed, or was cancelled, before its end.
        case abandoned
    }

    /// What a follower gets when it subscribes: the events so far, in order.
    struct Catchup: Sendable {
        var events: [Event]
        /// The fill is over: no more events will come.
        var over: Bool
    }

    private struct Subscriber: Sendable {
        let loop: any EventLoop
        let deliver: @Sendable (Event) -> Void
    }

    private struct State {
        var started: Event?
        var frames: [UpstreamFrame] = []
        /// Milliseconds from each kept frame's predecessor to it (``CachedAnswer/gapsMs``).
        var gapsMs: [UInt32] = []
        var lastFrameAt: ContinuousClock.Instant?
        var bytes = 0
        /// The frames outgrew the entry bound: they are no longer kept (followers already attached still get them).
        var oversize = false
        var subscribers: [Subscriber] = []
        var end: Event?
        var keeper: Keeper?
    }

    let key: CacheKey
    let maxBytes: Int
    private let state: Mutex<State>

    init(key: CacheKey, maxBytes: Int) {
        self.key = key
        self.maxBytes = maxBytes
        self.state = Mutex(State())
    }

    /// Whether a follower may still join: not over, and its frames all kept.
    var isJoinable: Bool {
        state.withLock { $0.end == nil && !$0.oversize }
    }

    /// Whether any follower is attached.
    var hasFollowers: Bool {
        state.withLock { !$0.subscribers.isEmpty }
    }

    /// Joins the fill: returns the events so far (to replay now, on the caller's loop), and delivers later ones on
    /// `loop`. Nil when the fill can no longer be joined (its frames were not all kept).
    func subscribe(on loop: any EventLoop, _ deliver: @escaping @Sendable (Event) -> Void) -> Catchup? {
        state.withLock { state -> Catchup? in
            guard !state.oversize else { return nil }
            var events: [Event] = []
            if let started = state.started { events.append(started) }
            events.append(contentsOf: state.frames.map(Event.frame))
            if let end = state.end {
                events.append(end)
                return Catchup(events: events, over: true)
            }
            state.subscribers.append(Subscriber(loop: loop, deliver: deliver))
            return Catchup(events: events, over: false)
        }
    }

    /// Keeps the leader alive while its own client has left and followers still read.
    func keep(_ leader: AnyObject) {
        state.withLock { $0.keeper = Keeper(object: leader) }
    }

    func start(_ dialect: Dialect, provider: String, upstreamModel: String) {
        publish(.started(dialect, provider: provider, upstreamModel: upstreamModel))
    }

    func append(_ frame: UpstreamFrame) {
        publish(.frame(frame))
    }

    /// The frames kept so far and the gaps between their arrivals, or nil when they outgrew the bound.
    var kept: (frames: [UpstreamFrame], gapsMs: [UInt32])? {
        state.withLock { $0.oversize ? nil : ($0.frames, $0.gapsMs) }
    }

    /// The answer is complete (and stored, when it is kept, so that a request arriving now finds it).
    func complete() {
        publish(.completed)
    }

    func abandon() {
        publish(.abandoned)
    }

    private func publish(_ event: Event) {
        let now = ContinuousClock.now
        let subscribers = state.withLock { state -> [Subscriber] in
            guard state.end == nil else { return [] }
            switch event {
            case .started:
                state.started = event
            case .frame(let frame):
                if !state.oversize {
                    state.bytes += CachedAnswer.size(of: frame)
                    if state.bytes > maxBytes {
                        state.oversize = true
                        state.frames = []
                        state.gapsMs = []
                    } else {
                        state.frames.append(frame)
                        state.gapsMs.append(state.lastFrameAt.map { Self.milliseconds(now - $0) } ?? 0)
                    }
                    state.lastFrameAt = now
                }
            case .completed, .abandoned:
                state.end = event
                state.keeper = nil
                let subscribers = state.subscribers
                state.subscribers = []
                return subscribers
            }
            return state.subscribers
        }
        for subscriber in subscribers {
            let deliver = subscriber.deliver
            subscriber.loop.execute { deliver(event) }
        }
    }

    /// `duration` to the nearest millisecond, at most ``CachedAnswer/maxGapMs``.
    private static func milliseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64(CachedAnswer.maxGapMs / 1000) else { return CachedAnswer.maxGapMs }
        // Under 10 s, so at most maxGapMs once rounded; `clamping` only guards against a negative duration.
        return UInt32(clamping: seconds * 1000 + (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000)
    }

    /// A strong reference to the leader, only held, never used. `@unchecked Sendable` is safe because the object
    /// is never touched through it: it only keeps the leader's responder (which lives on its own event loop) alive.
    private struct Keeper: @unchecked Sendable {
        let object: AnyObject
    }
}
