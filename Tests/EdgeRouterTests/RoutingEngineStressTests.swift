@testable import EdgeRouter
import Logging
import Prometheus
import Synchronization
import Testing

@Suite("Routing engine under concurrency", .timeLimit(.minutes(5)))
struct RoutingEngineStressTests {
    @Test("decisions on many threads while snapshots are swapped and samples and failures recorded")
    func decideWhileSwappingAndRecording() async throws {
        let catalog = try ConfigurationLoader.parse(
            yaml: testYAML(ports: Array(1...8)), environment: ["TEST_PROVIDER_KEY": "k"])
        let engine = RoutingEngine(catalog: catalog, registry: PrometheusCollectorRegistry(), logger: RouterHarness.logger)
        let model = try #require(catalog.model(named: "m"))
        let request = RouteRequest(model: model, pinnedProvider: nil, control: .none, residency: nil)

        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<5_000 {
                        let plan = engine.plan(request, now: MonotonicTime.now())
                        let keys = Set(plan.candidates.map(\.deployment.key))
                        // Every deployment at most once; none lost while snapshots change under the reader.
                        if keys.count != plan.candidates.count || plan.candidates.isEmpty { return false }
                    }
                    return true
                }
            }
            group.addTask {
                let plan = engine.plan(request, now: MonotonicTime.now())
                for round in 0..<5_000 {
                    let candidate = plan.candidates[round % plan.candidates.count]
                    if round % 7 == 0 {
                        engine.recordFailure(candidate, AttemptFailure(.status, deployment: candidate.deployment.label, status: 503, detail: "HTTP 503"))
                    } else {
                        engine.recordSuccess(candidate, ttft: .milliseconds(20 + round % 300))
                    }
                }
                return true
            }
            group.addTask {
                for _ in 0..<500 { engine.publish(catalog) }
                return true
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
        // What was learned survives the swaps: the runtimes are carried into each new snapshot.
        let learned = engine.plan(request, now: MonotonicTime.now()).candidates.filter { $0.estimate.hasData }
        #expect(!learned.isEmpty)
    }

    @Test("replaced snapshots are freed once their grace has passed, never while a reader may hold them")
    func retiredSnapshotsAreFreed() async throws {
        // The engine keeps a replaced snapshot for a minute; this cell keeps them for 250 ms so that a short run
        // reaches the frees, with readers loading snapshots all the while (under the thread sanitizer, in CI, a
        // free racing with a read is reported).
        let run = SnapshotRun()
        let published = 1_000
        do {
            let cell = SnapshotCell(TrackedSnapshot(serial: 0, run: run), grace: .milliseconds(250))
            let dead = await withTaskGroup(of: Int.self, returning: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        var dead = 0
                        while !run.stop.load(ordering: .relaxed) {
                            if !cell.load().isAlive { dead += 1 }
                            await Task.yield()
                        }
                        return dead
                    }
                }
                group.addTask {
                    // About two seconds of publications, so the first ones are well past their grace.
                    for serial in 1...published {
                        cell.publish(TrackedSnapshot(serial: serial, run: run))
                        try? await Task.sleep(for: .milliseconds(2))
                    }
                    run.stop.store(true, ordering: .relaxed)
                    return 0
                }
                return await group.reduce(0, +)
            }
            #expect(dead == 0)
            // Reached: snapshots retired more than the grace ago were freed by later publications.
            #expect(run.freed.load(ordering: .relaxed) > 0)
            #expect(run.freed.load(ordering: .relaxed) < published)
            #expect(cell.load().serial == published)
        }
        // Releasing the cell frees the current one and every retired one: nothing leaks.
        #expect(run.freed.load(ordering: .relaxed) == published + 1)
    }
}

/// What the readers and the writer of ``RoutingEngineStressTests/retiredSnapshotsAreFreed()`` share.
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
