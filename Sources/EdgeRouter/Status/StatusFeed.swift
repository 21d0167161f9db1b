import NIOCore
import Synchronization

/// The live pages' event streams: each subscriber gets every snapshot published after it subscribed, keeping only
/// the newest while it is slow to read (so a stalled browser costs one buffer, not a backlog). At most `limit`
/// subscribers at once; closing the feed ends every stream, which is how a graceful shutdown ends live pages.
final class StatusFeed: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
        var nextID = 0
        var closed = false
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = max(limit, 1)
    }

    /// A stream of published events, or nil when `limit` streams are open or the feed is closed.
    func subscribe() -> AsyncStream<ByteBuffer>? {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(1))
        let id: Int? = state.withLock { state in
            guard !state.closed, state.subscribers.count < limit else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return nil
        }
        // The response ends (the browser went away, or the feed closed): the place is free again.
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Streams open now.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Sends `event` to every subscriber.
    func publish(_ event: ByteBuffer) {
        let continuations = state.withLock { Array($0.subscribers.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// Ends every stream and refuses new ones.
    func close() {
        let continuations = state.withLock { state in
            state.closed = true
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
