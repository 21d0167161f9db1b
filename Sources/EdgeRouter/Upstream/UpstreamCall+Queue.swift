import NIOCore

extension UpstreamCall {
    /// What reading the next piece of an upstream stream gave.
    enum Step: Sendable {
        case frame(UpstreamFrame)
        /// The provider said the stream is complete (`[DONE]`).
        case done
        /// The stream broke, stalled or carried an error; nothing follows.
        case failed(AttemptFailure)
        /// The call was cancelled (the client left, or the reading task was cancelled); nothing follows.
        case cancelled
    }

    /// The steps between the event loop that receives them and the one task that reads them, with the reader's
    /// wait and the receiver's pause (backpressure). A plain value, kept behind the call's lock; its methods say
    /// what to do once the lock is released (resume a reader, let the receiver go on).
    struct Queue {
        /// The receiver pauses (stops reading from the socket) once this many steps wait unread.
        static let pauseAt = 64
        /// ...and goes on once the reader has taken them down to this many.
        static let resumeAt = 16

        private var steps = CircularBuffer<Step>(initialCapacity: 8)
        private var waiter: CheckedContinuation<Step, Never>?
        private var paused: EventLoopPromise<Void>?
        /// A terminal step (done, failed, cancelled) has been queued or handed over: nothing more is accepted.
        private(set) var isClosed = false

        /// What `push` asks of its caller.
        enum PushAction {
            case none
            /// Hand the step to the waiting reader.
            case resume(CheckedContinuation<Step, Never>, Step)
        }

        /// Adds a step for the reader. After a terminal step, later ones are dropped (a cancel after the end, data
        /// after `[DONE]`).
        mutating func push(_ step: Step) -> PushAction {
            guard !isClosed else { return .none }
            switch step {
            case .frame: break
            case .done, .failed, .cancelled: isClosed = true
            }
            if let waiter {
                self.waiter = nil
                return .resume(waiter, step)
            }
            steps.append(step)
            return .none
        }

        /// Whether the receiver should pause until the reader catches up.
        var isFull: Bool { steps.count >= Self.pauseAt }

        /// Records the receiver's pause; the promise is completed when the reader has caught up (or the call ends).
        mutating func pause(_ promise: EventLoopPromise<Void>) {
            paused = promise
        }

        /// What `take` gives its caller.
        enum TakeResult {
            /// A step, and the receiver's pause to end (if any).
            case step(Step, resume: EventLoopPromise<Void>?)
            /// Nothing yet: the reader must wait.
            case empty
        }

        /// The next step, if one is queued.
        mutating func take() -> TakeResult {
            guard let step = steps.popFirst() else { return .empty }
            var resume: EventLoopPromise<Void>?
            if steps.count <= Self.resumeAt || isClosed {
                resume = paused
                paused = nil
            }
            return .step(step, resume: resume)
        }

        /// Parks the reader until the next `push`.
        mutating func wait(_ continuation: CheckedContinuation<Step, Never>) {
            precondition(waiter == nil, "an upstream call has one reader")
            waiter = continuation
        }

        /// What `cancel` asks of its caller.
        struct CancelAction {
            /// The waiting reader, to resume with `cancelled`.
            var waiter: CheckedContinuation<Step, Never>?
            /// The receiver's pause, to end.
            var paused: EventLoopPromise<Void>?
            /// The stream was still open: the request must be cancelled too. A stream that ended (with `[DONE]` or a
            /// failure) is left alone, so that a complete response can still return its connection to the pool.
            var wasOpen: Bool
        }

        /// Ends the call from outside: what is queued is dropped for a `cancelled` step.
        mutating func cancel() -> CancelAction {
            var action = CancelAction(waiter: nil, paused: paused, wasOpen: !isClosed)
            paused = nil
            // A closed queue already ends in a terminal step, which the reader will reach.
            guard !isClosed else { return action }
            isClosed = true
            if let waiter {
                self.waiter = nil
                action.waiter = waiter
            } else {
                steps.removeAll()
                steps.append(.cancelled)
            }
            return action
        }
    }
}
