import Synchronization
import Testing

/// A value shared between the code under test and the test, whose changes the test can
/// await (with a timeout, so a broken engine fails the test instead of hanging it).
final class ObservedValue<Value: Sendable>: Sendable {
    private struct Waiter {
        let id: Int
        let condition: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Value?, Never>
    }

    private struct State {
        var value: Value
        var waiters: [Waiter] = []
        var nextWaiterID = 0
    }

    private let state: Mutex<State>

    init(_ value: Value) {
        state = Mutex(State(value: value))
    }

    /// The current value.
    var value: Value { state.withLock { $0.value } }

    /// Changes the value and wakes the waiters whose condition now holds.
    func update(_ change: (inout Value) -> Void) {
        let ready = state.withLock { state in
            change(&state.value)
            let value = state.value
            var ready: [(CheckedContinuation<Value?, Never>, Value)] = []
            state.waiters.removeAll { waiter in
                guard waiter.condition(value) else { return false }
                ready.append((waiter.continuation, value))
                return true
            }
            return ready
        }
        for (continuation, value) in ready {
            continuation.resume(returning: value)
        }
    }

    /// Waits until `condition` holds and returns the value. After `timeout`, records a
    /// test failure and returns the value as it is.
    @discardableResult
    func waitUntil(
        timeout: Duration = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @escaping @Sendable (Value) -> Bool
    ) async -> Value {
        let reached = await withTaskGroup(of: Value?.self) { group in
            group.addTask { await self.wait(for: condition) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let reached else {
            Issue.record("the expected state was not reached within \(timeout)", sourceLocation: sourceLocation)
            return value
        }
        return reached
    }

    /// The value once `condition` holds, or `nil` if the waiting task is cancelled first.
    private func wait(for condition: @escaping @Sendable (Value) -> Bool) async -> Value? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let immediate: Value?? = state.withLock { state in
                    if Task.isCancelled { return .some(nil) }
                    if condition(state.value) { return .some(state.value) }
                    state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return .none
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(returning: nil)
        }
    }
}
