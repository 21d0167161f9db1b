import Synchronization
import Testing

@testable import RoutingCore

@Suite("SnapshotCell", .timeLimit(.minutes(5)))
struct SnapshotCellTests {
    @Test("readers never see a freed snapshot while snapshots are replaced; every replaced one is freed, none leaks")
    func replacedSnapshotsAreFreedAndNeverReadFreed() async throws {
        // Readers hold each snapshot they load while checking it; under the thread sanitizer (scripts/tsan) a free
        // racing with a read would also be reported.
        let run = SnapshotRun()
        let published = 2_000
        do {
            let cell = SnapshotCell(TrackedSnapshot(serial: 0, run: run))
            let dead = await withTaskGroup(of: Int.self, returning: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        var dead = 0
                        while !run.stop.load(ordering: .relaxed) {
                            let snapshot = cell.load()
                            if !snapshot.isAlive { dead += 1 }
                            await Task.yield()
                            if !snapshot.isAlive { dead += 1 }
                        }
                        return dead
                    }
                }
                group.addTask {
                    for serial in 1...published {
                        cell.publish(TrackedSnapshot(serial: serial, run: run))
                        if serial % 16 == 0 { await Task.yield() }
                    }
                    run.stop.store(true, ordering: .relaxed)
                    return 0
                }
                return await group.reduce(0, +)
            }
            #expect(dead == 0)
            // Once no reader holds them, every replaced snapshot has been freed, and the current one has not.
            #expect(run.freed.load(ordering: .relaxed) == published)
            #expect(cell.load().serial == published)
        }
        // Releasing the cell frees the current one too.
        #expect(run.freed.load(ordering: .relaxed) == published + 1)
    }
}

/// What the readers and the writer of ``SnapshotCellTests`` share.
private final class SnapshotRun: Sendable {
    let freed = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

/// A snapshot that counts its frees and says whether it is still alive.
private final class TrackedSnapshot: Sendable {
    let serial: Int
    private let alive = Atomic<Bool>(true)
    private let run: SnapshotRun

    init(serial: Int, run: SnapshotRun) {
        self.serial = serial
        self.run = run
    }

    var isAlive: Bool { alive.load(ordering: .relaxed) }

    deinit {
        alive.store(false, ordering: .relaxed)
        run.freed.add(1, ordering: .relaxed)
    }
}
