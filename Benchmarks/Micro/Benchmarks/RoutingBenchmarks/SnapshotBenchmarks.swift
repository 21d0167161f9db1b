import Benchmark
import RoutingCore

/// Publication of the routing snapshot, the new cell beside the one it replaced, in the same run:
/// `SnapshotCell` (a reference under a pthread mutex, what `RoutingEngine` uses) and `AtomicSnapshotCell` (the
/// atomic unmanaged pointer with deferred release, kept in this target as a baseline). Every request loads the
/// snapshot once, so `load()` is on every request's path; `RoutingEngine.plan(8deployments)` gives the scale of
/// the whole per-request routing it is part of.
///
/// Single-threaded first; then with a second thread that loads in a tight loop, the worst case for the mutex
/// (every load of the measured thread may find it held, which requests that do work between loads rarely do);
/// then with one that publishes every millisecond, far more often than a configuration ever changes. The
/// two-thread variants measure wall time only: the malloc counter is process-wide, and the old cell's `publish`
/// allocates on the other thread.
func snapshotBenchmarks() {
    let model = EngineFixture(deployments: 8, samples: 0).request.model
    // Two real snapshots, so that a publisher alternates between different objects.
    let snapshots = (0..<2).map { _ in RoutingSnapshot(models: [model], settings: .init(), reusing: nil) }
    let locked = SnapshotCell(snapshots[0])
    let atomic = AtomicSnapshotCell(snapshots[0])

    Benchmark("SnapshotCell.load.locked") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(locked.load()) }
    }
    Benchmark("SnapshotCell.load.atomicBaseline") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(atomic.load()) }
    }

    var twoThreads = Benchmark.defaultConfiguration
    twoThreads.metrics = [.wallClock]
    twoThreads.thresholds = nil
    let others: [(name: String, locked: BackgroundLoop, atomic: BackgroundLoop)] = [
        (
            "whileAnotherThreadLoads",
            BackgroundLoop { _ in blackHole(locked.load()) },
            BackgroundLoop { _ in blackHole(atomic.load()) }
        ),
        (
            "whileAnotherThreadPublishesEveryMillisecond",
            BackgroundLoop(pause: .milliseconds(1)) { run in locked.publish(snapshots[run & 1]) },
            BackgroundLoop(pause: .milliseconds(1)) { run in atomic.publish(snapshots[run & 1]) }
        ),
    ]
    for other in others {
        Benchmark(
            "SnapshotCell.load.locked.\(other.name)", configuration: twoThreads,
            closure: { benchmark in
                for _ in benchmark.scaledIterations { blackHole(locked.load()) }
            },
            setup: { other.locked.start() }, teardown: { other.locked.stop() })
        Benchmark(
            "SnapshotCell.load.atomicBaseline.\(other.name)", configuration: twoThreads,
            closure: { benchmark in
                for _ in benchmark.scaledIterations { blackHole(atomic.load()) }
            },
            setup: { other.atomic.start() }, teardown: { other.atomic.stop() })
    }
}
