import NIOCore

/// Something a ``FrameClock`` wakes up: a connection with a response whose next part is due later.
protocol FrameClockClient: AnyObject {
    /// The ticket of this client's pending wake-up, kept by the clock; nil when none is pending.
    var frameClockTicket: UInt64? { get set }
    /// Called at or after the deadline it was scheduled for; may schedule itself again.
    func frameClockFired(now: NIODeadline)
}

/// One timer per event loop for every response waiting on that loop, instead of a timer (or a task and a
/// `Task.sleep`) per stream.
///
/// Why: at thousands of streams of 50 deltas/s each, a timer per delta costs more than the delta's write. Here the
/// pending wake-ups sit in a binary heap ordered by deadline; the loop's one scheduled task fires for the earliest,
/// and each wake-up serves every client due by then. Wake-ups are at least ``quantum`` apart, so under load many
/// streams are served per wake-up (each at most one quantum late), while a lone stream is woken exactly on time.
/// A wake-up serves at most ``batchLimit`` clients; an overloaded loop works through its backlog in batches with
/// its I/O in between.
///
/// Confined to its event loop (every method asserts it). A cancelled wake-up stays in the heap until it comes up
/// (its ticket no longer matches and it is skipped); when no live wake-up remains the heap is emptied and the
/// timer cancelled, so an idle loop has no timer at all.
final class FrameClock<Client: FrameClockClient> {
    /// The shortest time between two wake-ups.
    static var quantum: TimeAmount { .milliseconds(1) }
    /// The most clients served in one wake-up (a few milliseconds of writes) before the loop gets back to I/O.
    static var batchLimit: Int { 256 }

    private struct Entry {
        var deadline: NIODeadline
        var ticket: UInt64
        var client: Client
    }

    private let eventLoop: any EventLoop
    private var heap: [Entry] = []
    private var nextTicket: UInt64 = 1
    /// Wake-ups scheduled and neither fired nor cancelled.
    private(set) var pending = 0
    private var timer: (deadline: NIODeadline, task: Scheduled<Void>)?
    private var lastWake = NIODeadline.uptimeNanoseconds(0)
    private var waking = false
    /// Wake-ups so far (for tests).
    private(set) var wakeUps = 0

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Wakes `client` at `deadline` (or as soon as possible after it), replacing its pending wake-up if any.
    func schedule(_ client: Client, at deadline: NIODeadline) {
        eventLoop.assertInEventLoop()
        if client.frameClockTicket == nil { pending += 1 }
        let ticket = nextTicket
        nextTicket += 1
        client.frameClockTicket = ticket
        push(Entry(deadline: deadline, ticket: ticket, client: client))
        if !waking { armTimer() }
    }

    /// Forgets `client`'s pending wake-up, if any.
    func cancel(_ client: Client) {
        eventLoop.assertInEventLoop()
        guard client.frameClockTicket != nil else { return }
        client.frameClockTicket = nil
        pending -= 1
        if !waking { armTimer() }
    }

    private func wake() {
        timer = nil
        wakeUps += 1
        let now = eventLoop.now
        lastWake = now
        waking = true
        var served = 0
        while served < Self.batchLimit, !heap.isEmpty, heap[0].deadline <= now {
            let entry = pop()
            guard entry.client.frameClockTicket == entry.ticket else { continue }
            entry.client.frameClockTicket = nil
            pending -= 1
            served += 1
            entry.client.frameClockFired(now: now)
        }
        waking = false
        if served == Self.batchLimit, !heap.isEmpty, heap[0].deadline <= now {
            // Behind: serve the rest on the next loop iteration, after the loop has read its sockets, so new
            // requests and closed connections are not held up behind a long backlog.
            lastWake = now - Self.quantum
        }
        armTimer()
    }

    /// Points the timer at the earliest live wake-up, no sooner than a quantum after the last one.
    private func armTimer() {
        guard pending > 0 else {
            heap.removeAll(keepingCapacity: heap.count < 4096)
            timer?.task.cancel()
            timer = nil
            return
        }
        // Drop cancelled wake-ups from the top so the timer does not fire for them.
        while !heap.isEmpty, heap[0].client.frameClockTicket != heap[0].ticket { _ = pop() }
        guard !heap.isEmpty else { return }
        let deadline = max(heap[0].deadline, lastWake + Self.quantum)
        if let timer {
            if timer.deadline <= deadline { return }
            timer.task.cancel()
        }
        let task = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in wake() }
        timer = (deadline, task)
    }

    // MARK: Binary heap, earliest deadline first

    // The sifts work on the heap's buffer directly: swapping entries there moves them without retaining their
    // clients, which the array's subscripts did, once per level.

    private func push(_ entry: Entry) {
        heap.append(entry)
        heap.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].deadline < heap[parent].deadline else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
    }

    private func pop() -> Entry {
        heap.withUnsafeMutableBufferPointer { heap in heap.swapAt(0, heap.count - 1) }
        let top = heap.removeLast()
        heap.withUnsafeMutableBufferPointer { heap in
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let child = right < heap.count && heap[right].deadline < heap[left].deadline ? right : left
                guard heap[child].deadline < heap[parent].deadline else { break }
                heap.swapAt(child, parent)
                parent = child
            }
        }
        return top
    }
}
