/// A fixed number of the latest samples, oldest overwritten first. Its storage is allocated once, when it is
/// made, so that sampling for the lifetime of the process uses bounded memory and allocates nothing.
struct HistoryRing: Sendable {
    private var storage: [StatusSample]
    /// Where the next sample goes, once the storage is full.
    private var next = 0
    /// How many samples it holds at most.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        storage = []
        storage.reserveCapacity(self.capacity)
    }

    /// How many samples it holds.
    var count: Int { storage.count }

    /// Adds `sample`, dropping the oldest when full.
    mutating func append(_ sample: StatusSample) {
        if storage.count < capacity {
            storage.append(sample)
        } else {
            storage[next] = sample
        }
        next = (next + 1) % capacity
    }

    /// The samples, oldest first.
    var samples: [StatusSample] {
        guard storage.count == capacity else { return storage }
        return Array(storage[next...] + storage[..<next])
    }

    /// The newest sample taken at or before `instant`, else the oldest there is: the start of a rate's window.
    func baseline(notAfter instant: ContinuousClock.Instant) -> StatusSample? {
        var best: StatusSample?
        var oldest: StatusSample?
        for sample in storage {
            if oldest.map({ sample.at < $0.at }) ?? true { oldest = sample }
            if sample.at <= instant, best.map({ sample.at > $0.at }) ?? true { best = sample }
        }
        return best ?? oldest
    }
}
