import Foundation
import NIOCore
import NIOPosix

/// What a run produced: the report, and every measured request when the plan kept them (in start order).
public struct LoadResult: Sendable {
    public var report: LoadReport
    public var requests: [RequestRecord]
}

/// Runs a ``LoadPlan``: one worker per event-loop thread, the process watch (and, for a routing run, the
/// simulators' schedule) beside them, one merged report.
public enum LoadRunner {
    /// Runs the plan to its end (warm-up, window, drain; bounded in time whatever the server does).
    ///
    /// - Parameters:
    ///   - watch: processes whose CPU and memory are recorded over the window; edge-load adds itself.
    public static func run(_ plan: LoadPlan, watch: [WatchedProcess], label: String?) async throws -> LoadResult {
        try validate(plan)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: plan.threads)
        do {
            let report = try await run(plan, on: group, watch: watch, label: label)
            try await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func run(
        _ plan: LoadPlan, on group: MultiThreadedEventLoopGroup, watch: [WatchedProcess], label: String?
    ) async throws -> LoadResult {
        let addresses = try plan.targets.map { target throws(LoadError) in try resolve(target.url) }
        // The simulators start in their first phase, before any request (the warm-up included).
        if let scenario = plan.scenario { try await ScheduleApplier.reset(scenario, on: group) }

        // Workers get a moment to set up before the first request is due, so the schedule starts on time.
        let lead: Int64 = 100_000_000
        let origin = NIODeadline.now() + .nanoseconds(lead)
        let clockOrigin = ContinuousClock.now + .nanoseconds(lead)
        // The window opens after the warm-up (and, for streams, the ramp), exactly as the workers count it.
        let beforeWindow = plan.warmupSeconds + rampIfConcurrency(plan)
        let windowStart = clockOrigin + .nanoseconds(Int64(beforeWindow * 1e9))
        let windowEnd = windowStart + .nanoseconds(Int64(plan.durationSeconds * 1e9))

        var futures: [EventLoopFuture<LoadRecorder>] = []
        var loops = group.makeIterator()
        for index in 0..<plan.threads {
            guard let loop = loops.next() else { break }
            let promise = loop.makePromise(of: LoadRecorder.self)
            let workers = plan.threads
            loop.execute {
                let worker: LoadWorker
                switch plan.shape {
                case .rate(let rate):
                    worker = OpenLoopWorker(
                        loop: loop, plan: plan, addresses: addresses, rate: rate, index: index, workers: workers,
                        origin: origin, promise: promise)
                case .concurrency(let count):
                    worker = ConcurrencyWorker(
                        loop: loop, plan: plan, addresses: addresses, concurrency: count, index: index, workers: workers,
                        origin: origin, promise: promise)
                }
                worker.start()
            }
            futures.append(promise.futureResult)
        }

        let watched = watch + [WatchedProcess(name: "edge-load", pid: getpid())]
        async let figures = ProcessWatch.run(watched, from: windowStart, until: windowEnd)
        async let appliedAt = ScheduleApplier.applyPhases(plan.scenario, windowStart: windowStart, on: group)
        var merged = LoadRecorder()
        for future in futures {
            merged.merge(try await future.get())
        }
        let requests = merged.requests.sorted { $0.startNanos < $1.startNanos }
        merged.requests = []
        let applied = try await appliedAt
        let scenario = plan.scenario.map { scenario in
            ScenarioFigures(plan: scenario, strategy: plan.strategy, requests: requests, appliedAt: applied)
        }
        let report = LoadReport(plan: plan, recorder: merged, processes: await figures, label: label, scenario: scenario)
        return LoadResult(report: report, requests: requests)
    }

    private static func resolve(_ url: TargetURL) throws(LoadError) -> SocketAddress {
        do {
            return try SocketAddress.makeAddressResolvingHost(url.connectHost, port: url.port)
        } catch {
            throw LoadError("cannot resolve \(url.host): \(error)")
        }
    }

    private static func rampIfConcurrency(_ plan: LoadPlan) -> Double {
        if case .concurrency = plan.shape { return plan.rampSeconds }
        return 0
    }

    private static func validate(_ plan: LoadPlan) throws(LoadError) {
        switch plan.shape {
        case .rate(let rate) where !(rate > 0 && rate <= 1_000_000):
            throw LoadError("the rate must be between 0 and 1,000,000 requests per second")
        case .concurrency(let count) where !(1...1_000_000).contains(count):
            throw LoadError("the concurrency must be between 1 and 1,000,000")
        default: break
        }
        guard plan.durationSeconds > 0, plan.durationSeconds <= 3600, plan.warmupSeconds >= 0, plan.warmupSeconds <= 600
        else { throw LoadError("the duration must be in (0, 3600] s and the warm-up in [0, 600] s") }
        guard plan.threads >= 1, plan.threads <= 64 else { throw LoadError("threads must be 1...64") }
        guard plan.timeoutSeconds > 0, plan.drainSeconds >= 0, plan.drainSeconds <= 600 else {
            throw LoadError("the timeout must be positive and the drain within 0...600 s")
        }
        guard plan.maxConnections >= 1 else { throw LoadError("max connections must be at least 1") }
        guard !plan.targets.isEmpty else { throw LoadError("no target to load") }
        if let scenario = plan.scenario {
            guard case .rate = plan.shape else { throw LoadError("a schedule needs a rate run") }
            guard scenario.sims.count == scenario.schedule.providers.count else {
                throw LoadError("the schedule has \(scenario.schedule.providers.count) providers, \(scenario.sims.count) simulators were given")
            }
        }
    }
}
