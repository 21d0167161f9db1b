import Synchronization

/// The answers this node keeps for their clients, by request id, within ``ResumeSettings``' memory bounds.
///
/// Finished answers stay for ``ResumeSettings/retain``, then go; when the total has reached
/// ``ResumeSettings/maxTotalBytes`` the oldest finished ones go first, and while live answers alone fill it a new
/// answer is served unbuffered. Lookups are by id and gateway key: another key's id is as unknown as an id never made.
final class StreamRegistry: Sendable {
    let settings: ResumeSettings
    let metrics: ResumeMetrics
    private struct State {
        var buffers: [String: StreamBuffer] = [:]
        /// Ids in the order their answers finished: the eviction order.
        var finishedOrder: [String] = []
    }
    private let state = Mutex(State())
    private let totalBytes = Atomic<Int>(0)
    /// A tick each time an answer finishes or is delivered: what a draining node's wait listens to.
    private let settledTicks: AsyncStream<Void>
    private let settledTick: AsyncStream<Void>.Continuation

    init(settings: ResumeSettings, metrics: ResumeMetrics) {
        self.settings = settings
        self.metrics = metrics
        (settledTicks, settledTick) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A buffer for a new answer, or nil when memory is short even after evicting finished answers.
    func open(requestID: String, keyID: String, framing: StreamBuffer.Framing) -> StreamBuffer? {
        sweep()
        // The total is checked when an answer starts: live answers may take it past the limit by at most their own
        // limits, and finished ones are evicted first to make room.
        guard totalBytes.load(ordering: .relaxed) < settings.maxTotalBytes || evictOldestFinished() else {
            metrics.refused()
            return nil
        }
        let buffer = StreamBuffer(
            requestID: requestID, keyID: keyID, framing: framing, maxBytes: settings.maxStreamBytes,
            sizeChanged: { [weak self] delta in
                guard let self else { return }
                let total = self.totalBytes.add(delta, ordering: .relaxed).newValue
                self.metrics.bytes(total)
            },
            settled: { [settledTick] in settledTick.yield() })
        let count = state.withLock { state in
            state.buffers[requestID] = buffer
            return state.buffers.count
        }
        metrics.buffered(count)
        return buffer
    }

    /// The answer `requestID` made by `keyID`, if this node still holds it.
    func find(requestID: String, keyID: String) -> StreamBuffer? {
        sweep()
        let buffer = state.withLock { $0.buffers[requestID] }
        guard let buffer, buffer.keyID == keyID else { return nil }
        return buffer
    }

    /// The answer is over: it is kept for ``ResumeSettings/retain`` from now.
    func finished(_ buffer: StreamBuffer) {
        buffer.finish()
        state.withLock { $0.finishedOrder.append(buffer.requestID) }
    }

    /// Lets go of finished answers past their retention.
    private func sweep() {
        let now = ContinuousClock.now
        let (dropped, count) = state.withLock { state -> ([StreamBuffer], Int) in
            var dropped: [StreamBuffer] = []
            while let id = state.finishedOrder.first {
                guard let buffer = state.buffers[id] else {
                    state.finishedOrder.removeFirst()
                    continue
                }
                guard let at = buffer.finishedAt, now - at >= settings.retain else { break }
                state.finishedOrder.removeFirst()
                state.buffers[id] = nil
                dropped.append(buffer)
            }
            return (dropped, state.buffers.count)
        }
        guard !dropped.isEmpty else { return }
        release(dropped)
        metrics.buffered(count)
    }

    /// Evicts the oldest finished answer to make room; false when there is none.
    private func evictOldestFinished() -> Bool {
        while totalBytes.load(ordering: .relaxed) >= settings.maxTotalBytes {
            let buffer = state.withLock { state -> StreamBuffer? in
                while let id = state.finishedOrder.first {
                    state.finishedOrder.removeFirst()
                    if let buffer = state.buffers.removeValue(forKey: id) { return buffer }
                }
                return nil
            }
            guard let buffer else { return false }
            release([buffer])
            metrics.evicted()
        }
        return true
    }

    private func release(_ buffers: [StreamBuffer]) {
        let freed = buffers.reduce(0) { $0 + $1.bytes }
        let total = totalBytes.subtract(freed, ordering: .relaxed).newValue
        metrics.bytes(total)
    }

    /// Answers a draining node must still serve: live ones, and those whose client left and has not fetched them.
    var unsettledCount: Int { state.withLock { $0.buffers.values.count { !$0.isSettled } } }

    /// Waits until no answer is unsettled (see ``unsettledCount``), for at most `limit`; true when none is.
    /// One caller at a time: the server's drain.
    func waitUntilSettled(within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                if self.unsettledCount == 0 { return true }
                for await _ in self.settledTicks where self.unsettledCount == 0 { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let settled = await group.next() ?? false
            group.cancelAll()
            return settled
        }
    }

    /// Bytes held by every buffer.
    var bytesHeld: Int { totalBytes.load(ordering: .relaxed) }

    /// Answers held.
    var count: Int { state.withLock { $0.buffers.count } }
}
