import NIOCore

/// The deadlines of one ``FirstTokenRace``, for its one timer: a handful at most (the request's, the hedge's, and
/// a first-token timeout and a hang threshold per attempt), kept in the order they were added. A plain value,
/// tested apart.
struct RaceDeadlines {
    /// What happens at a deadline.
    enum Event: Equatable {
        /// The request's own deadline.
        case requestDeadline
        /// The hedge's delay is over.
        case hedge
        /// An attempt's provider first-token timeout.
        case firstToken(Int)
        /// An attempt went past its hang threshold (the threshold, for the record).
        case hangThreshold(Int, Duration)
    }

    private var pending: [(at: NIODeadline, event: Event)] = []

    init() {
        pending.reserveCapacity(6)
    }

    mutating func add(_ event: Event, at deadline: NIODeadline) {
        pending.append((deadline, event))
    }

    /// The earliest pending deadline.
    var earliest: NIODeadline? {
        pending.lazy.map(\.at).min()
    }

    /// Removes and returns the earliest event due by `now` (of two due at the same moment, the one added first);
    /// nil when none is due.
    mutating func takeDue(by now: NIODeadline) -> Event? {
        var due: Int?
        for index in pending.indices where pending[index].at <= now {
            if let current = due, pending[current].at <= pending[index].at { continue }
            due = index
        }
        guard let due else { return nil }
        return pending.remove(at: due).event
    }
}
