/// A least-recently-used map bounded in bytes: each value says its size, and inserting past the bound evicts the
/// least recently used entries until the new one fits. Expired entries are dropped when looked up. A plain struct
/// (the owner keeps it behind a lock), unit-tested on its own.
///
/// The recency list is doubly linked through arrays of slot indices, so lookups, inserts and evictions are O(1)
/// and allocate nothing once the slots exist.
struct LRUByteStore<Key: Hashable, Value> {
    private struct Slot {
        var key: Key
        var value: Value
        var bytes: Int
        var expires: ContinuousClock.Instant
        var newer: Int?
        var older: Int?
    }

    /// What an insert or a lookup did besides its answer.
    struct Effects: Equatable {
        /// Entries evicted to make room (not counting expired ones).
        var evicted = 0
        /// Entries dropped because their TTL had passed.
        var expired = 0
    }

    let maxBytes: Int
    private var slots: [Slot?] = []
    private var free: [Int] = []
    private var index: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?
    /// Bytes of the entries held.
    private(set) var bytes = 0

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Entries held.
    var count: Int { index.count }

    /// The value for `key` if it has not expired at `now`, made the most recently used.
    mutating func value(for key: Key, now: ContinuousClock.Instant, effects: inout Effects) -> Value? {
        guard let position = index[key], let slot = slots[position] else { return nil }
        guard slot.expires > now else {
            remove(at: position)
            effects.expired += 1
            return nil
        }
        unlink(position)
        linkNewest(position)
        return slot.value
    }

    /// Stores `value` (replacing any entry of `key`) until `expires`, evicting the least recently used entries
    /// until it fits. A value larger than the whole bound is not stored: returns false.
    @discardableResult
    mutating func insert(
        _ value: Value, bytes size: Int, for key: Key, expires: ContinuousClock.Instant, effects: inout Effects
    ) -> Bool {
        if let position = index[key] { remove(at: position) }
        guard size <= maxBytes, size >= 0 else { return false }
        while bytes > maxBytes - size, let victim = oldest {
            remove(at: victim)
            effects.evicted += 1
        }
        let slot = Slot(key: key, value: value, bytes: size, expires: expires, newer: nil, older: nil)
        let position: Int
        if let reused = free.popLast() {
            slots[reused] = slot
            position = reused
        } else {
            slots.append(slot)
            position = slots.count - 1
        }
        index[key] = position
        linkNewest(position)
        bytes += size
        return true
    }

    /// Drops the entry of `key`, if any.
    mutating func remove(_ key: Key) {
        if let position = index[key] { remove(at: position) }
    }

    /// The keys from most to least recently used (for tests).
    var keysByRecency: [Key] { byRecency.map(\.key) }

    /// The values from most to least recently used (for tests).
    var valuesByRecency: [Value] { byRecency.map(\.value) }

    private var byRecency: [Slot] {
        var found: [Slot] = []
        var cursor = newest
        while let position = cursor, let slot = slots[position] {
            found.append(slot)
            cursor = slot.older
        }
        return found
    }

    private mutating func remove(at position: Int) {
        guard let slot = slots[position] else { return }
        unlink(position)
        index[slot.key] = nil
        bytes -= slot.bytes
        slots[position] = nil
        free.append(position)
    }

    private mutating func unlink(_ position: Int) {
        guard let slot = slots[position] else { return }
        if let newer = slot.newer { slots[newer]?.older = slot.older } else { newest = slot.older }
        if let older = slot.older { slots[older]?.newer = slot.newer } else { oldest = slot.newer }
        slots[position]?.newer = nil
        slots[position]?.older = nil
    }

    private mutating func linkNewest(_ position: Int) {
        slots[position]?.older = newest
        slots[position]?.newer = nil
        if let previous = newest { slots[previous]?.newer = position }
        newest = position
        if oldest == nil { oldest = position }
    }
}
