import Foundation
import Synchronization

/// A thread that runs `body` over and over, with an optional pause between runs, from `start()` to `stop()`: the
/// other reader or the publisher beside a measured `load()`. Started in a benchmark's setup and stopped in its
/// teardown, so that thread creation is never measured.
final class BackgroundLoop: Sendable {
    private let body: @Sendable (Int) -> Void
    private let pause: Duration?
    private let running = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    private let runs = Atomic<Int>(0)

    /// A loop running `body(run)`, where `run` counts from 0, and then sleeping `pause` if given.
    init(pause: Duration? = nil, _ body: @escaping @Sendable (Int) -> Void) {
        self.body = body
        self.pause = pause
    }

    /// Starts the thread and returns once `body` has run at least once, so that the measurement that follows
    /// has the other thread at work from its first iteration.
    func start() {
        running.store(true, ordering: .releasing)
        finished.store(false, ordering: .releasing)
        runs.store(0, ordering: .relaxed)
        let pauseSeconds = pause.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        let thread = Thread { [self] in
            var run = 0
            while running.load(ordering: .acquiring) {
                body(run)
                run += 1
                runs.store(run, ordering: .relaxed)
                if let pauseSeconds { Thread.sleep(forTimeInterval: pauseSeconds) }
            }
            finished.store(true, ordering: .releasing)
        }
        thread.start()
        while runs.load(ordering: .relaxed) == 0 { sched_yield() }
    }

    /// Stops the thread and waits for it to leave `body`. Returns how many times `body` ran.
    @discardableResult
    func stop() -> Int {
        running.store(false, ordering: .releasing)
        while !finished.load(ordering: .acquiring) { sched_yield() }
        return runs.load(ordering: .relaxed)
    }
}
