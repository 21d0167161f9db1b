import NIOCore

extension UpstreamCall {
    /// What parsing the next piece of an upstream stream gave.
    enum Step: Sendable {
        case frame(UpstreamFrame)
        /// The provider said the stream is complete (`[DONE]`).
        case done
        /// The stream broke, stalled or carried an error; nothing follows.
        case failed(AttemptFailure)
    }

    /// The steps between the callbacks that parse them and the reader: held until a reader attaches (the race is
    /// still on), then handed straight on. A plain value; its methods say what to do with a step.
    struct Inbox {
        /// Before a reader attaches, the receiver pauses (stops reading from the socket) once this many steps are
        /// held: a provider that sends many frames without content cannot make the router buffer without bound.
        static let holdLimit = 64

        private var held = CircularBuffer<Step>(initialCapacity: 4)
        /// A terminal step (done, failed) has been pushed, or the call was cancelled: nothing more is accepted.
        private(set) var isClosed = false
        /// The call was cancelled from outside: nothing more is delivered, not even what is held.
        private(set) var isCancelled = false
        private(set) var isAttached = false

        /// What `push` asks of its caller.
        enum PushAction {
            /// Hand the step to the reader now.
            case deliver(Step)
            /// Held for the reader to come.
            case hold
            /// Dropped: it follows a terminal step (a cancel after the end, data after `[DONE]`).
            case drop
        }

        mutating func push(_ step: Step) -> PushAction {
            guard !isClosed else { return .drop }
            if case .frame = step {} else { isClosed = true }
            guard isAttached else {
                held.append(step)
                return .hold
            }
            return .deliver(step)
        }

        /// Whether the receiver should pause until a reader attaches.
        var isFull: Bool { !isAttached && held.count >= Self.holdLimit }

        /// A reader attaches: the held steps, to deliver in order; later ones are delivered as they come.
        mutating func attach() -> CircularBuffer<Step> {
            isAttached = true
            defer { held.removeAll() }
            return held
        }

        /// Ends the call from outside, dropping what is held. Returns whether the stream was still open (its
        /// request must then be cancelled; a stream that ended is left to return its connection to the pool).
        mutating func cancel() -> Bool {
            let wasOpen = !isClosed
            isClosed = true
            isCancelled = true
            held.removeAll()
            return wasOpen
        }
    }
}
