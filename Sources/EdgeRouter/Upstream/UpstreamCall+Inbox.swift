import EdgeWire
import NIOCore
import RoutingCore

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
    ///
    /// Until the first token nobody reads the held steps, so the receiver must not pause for them (it would stall
    /// the very stream that is to bring the first token): what a provider may send before its first token is
    /// bounded by bytes instead, and a provider past the bound is failed as malformed.
    struct Inbox {
        /// Most payload bytes held before a reader attaches: far more than any real provider's content-less
        /// preamble (a role frame, keep-alives, empty deltas), little enough for thousands of pending calls.
        static let holdByteLimit = 1 << 20

        private var held = CircularBuffer<Step>(initialCapacity: 4)
        private var heldBytes = 0
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
            /// Not held: it would take the held bytes past ``holdByteLimit``. The caller fails the call.
            case overflow
        }

        mutating func push(_ step: Step) -> PushAction {
            guard !isClosed else { return .drop }
            guard isAttached else {
                if case .frame(let frame) = step {
                    heldBytes += frame.payload.count
                    guard heldBytes <= Self.holdByteLimit else { return .overflow }
                } else {
                    isClosed = true
                }
                held.append(step)
                return .hold
            }
            if case .frame = step {} else { isClosed = true }
            return .deliver(step)
        }

        /// A reader attaches: the held steps, to deliver in order; later ones are delivered as they come.
        mutating func attach() -> CircularBuffer<Step> {
            isAttached = true
            heldBytes = 0
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
            heldBytes = 0
            return wasOpen
        }
    }
}
