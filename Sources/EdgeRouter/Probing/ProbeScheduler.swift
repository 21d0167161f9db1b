import Logging
import Probe
import RoutingCore
import ServiceLifecycle
import Synchronization

/// Probes every deployment of the configuration in the background, so each node knows each provider's TTFT from where
/// it stands before a user pays for it: one loop per deployment (sleeping costs nothing), all probes sharing the
/// probe engine's single libcurl thread and the global caps.
///
/// - Interval with jitter, first probes staggered over the first seconds.
/// - A probe is skipped while live traffic keeps the estimate fresh (a live sample within the interval).
/// - While a deployment's breaker is open or half-open it is probed more often, and the probes are its trial calls:
///   a success closes the breaker, so no user request is spent testing a broken provider.
/// - A configuration reload hands over its new deployments (``follow(added:models:providers:)``), whose loops start at
///   once; the loop of a deployment the reload removed (or replaced) ends at its next wake, and the result of a
///   probe of it still under way is dropped.
final class ProbeScheduler: Service, Sendable {
    private let runner: ProbeRunner
    private let settings: ProbeSettings
    private let engine: RoutingEngine
    private let metrics: ProbeMetrics
    private let logger: Logger
    /// Sanitizes probe errors, redacting every probed provider's credentials (replaced on reload).
    private let errorText: Mutex<UpstreamErrorText>
    /// Deployments a reload added, for ``run()`` to start loops for.
    private let additions = AsyncStream.makeStream(of: [DeploymentRuntime].self)
    private let started = ContinuousClock.now
    private let measured: Atomic<Int> = Atomic(0)
    private let latest = Mutex<[String: ProbeSummary]>([:])
    private let bucket: Mutex<TokenBucket>

    init(settings: ProbeSettings, engine: RoutingEngine, metrics: ProbeMetrics, logger: Logger) throws(EdgeRouterError) {
        self.runner = try ProbeRunner(settings: settings)
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        self.logger = logger
        self.errorText = Mutex(UpstreamErrorText(providers: engine.runtimes.map(\.deployment.provider)))
        self.bucket = Mutex(TokenBucket(tokens: Double(settings.maxPerMinute), at: .now))
    }

    /// Ready once every deployment has a probe sample, or `readyTimeout` after start, whichever is first.
    var isReady: Bool {
        measured.load(ordering: .relaxed) >= engine.runtimes.count || ContinuousClock.now - started >= settings.readyTimeout
    }

    /// The latest probe of a deployment, for `/admin/routes`.
    func latestProbe(of deployment: Deployment) -> ProbeSummary? {
        latest.withLock { $0[deployment.key] }
    }

    /// A reload published `models`, of which `runtimes` are new (new deployments, and kept ones whose provider
    /// settings changed): probe those from now on, with errors sanitized for `providers`' credentials.
    func follow(added runtimes: [DeploymentRuntime], models: [Model], providers: [Provider]) {
        errorText.withLock { $0 = UpstreamErrorText(providers: providers) }
        metrics.follow(models, dropping: true)
        if !runtimes.isEmpty { additions.continuation.yield(runtimes) }
    }

    func run() async throws {
        let runtimes = engine.runtimes
        // The first round is spread over the first two seconds (or the interval, if shorter).
        let spread = min(settings.interval, .seconds(2))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for (position, runtime) in runtimes.enumerated() {
                    let offset = spread * (Double(position) / Double(max(runtimes.count, 1)))
                    group.addTask { await self.loop(runtime, firstAt: self.started + offset) }
                }
                // Ends when the task is cancelled (graceful shutdown); the group then waits for the loops.
                for await added in self.additions.stream {
                    for runtime in added {
                        group.addTask { await self.loop(runtime, firstAt: .now) }
                    }
                }
            }
        }
        await runner.shutdown()
    }

    private func loop(_ runtime: DeploymentRuntime, firstAt: ContinuousClock.Instant) async {
        var due = firstAt
        var count = 0
        var hasSample = false
        while !Task.isCancelled {
            do { try await Task.sleep(until: due, clock: .continuous) } catch { return }
            // A reload removed or replaced the deployment: its probes stop.
            guard engine.isCurrent(runtime) else { return }
            let now = MonotonicTime.now()
            let closed = runtime.isBreakerClosed
            let interval = closed ? settings.interval : settings.openInterval
            due = .now + interval * (1 + settings.jitter * Double.random(in: -1...1))
            if closed, let live = runtime.lastLiveSampleAt, now - live < MonotonicTime.nanos(settings.interval) {
                metrics.recordSkip(runtime.deployment)
                continue
            }
            guard await takeToken() else { return }
            count += 1
            let cold = count == 1 || count % max(settings.coldEvery, 1) == 0
            let model = engine.model(of: runtime)
            let raw = await runner.probe(runtime.deployment, probe: model?.probe ?? ModelProbe(), kind: model?.kind ?? .chat, cold: cold)
            let result = errorText.withLock { $0 }.sanitizing(raw)
            if Task.isCancelled || !engine.isCurrent(runtime) { return }
            if result.isCogBusy {
                // Every slot of the Cog server is in use: busy, not broken, and nothing was measured.
                metrics.recordSkip(runtime.deployment)
                continue
            }
            latest.withLock { $0[runtime.deployment.key] = ProbeSummary(at: .now, result: result) }
            metrics.record(result, deployment: runtime.deployment)
            engine.recordProbe(runtime, result.outcome)
            if !hasSample, result.isSuccess, result.timeToFirstToken != nil {
                hasSample = true
                measured.add(1, ordering: .relaxed)
            }
        }
    }

    /// Waits for a token of the global probes-per-minute budget; false when cancelled.
    private func takeToken() async -> Bool {
        let perSecond = Double(max(settings.maxPerMinute, 1)) / 60
        while !Task.isCancelled {
            let wait: Duration? = bucket.withLock { bucket in
                let now = ContinuousClock.now
                bucket.tokens = min(Double(settings.maxPerMinute), bucket.tokens + (now - bucket.at).seconds * perSecond)
                bucket.at = now
                guard bucket.tokens < 1 else {
                    bucket.tokens -= 1
                    return nil
                }
                return .seconds((1 - bucket.tokens) / perSecond)
            }
            guard let wait else { return true }
            do { try await Task.sleep(for: wait) } catch { return false }
        }
        return false
    }
}

/// The global probe budget's tokens and when they were last counted. A struct, not a tuple: a `withLock` closure
/// over a tuple mangles without `sending`, which the thread sanitizer's suppression of Mutex hand-offs
/// (scripts/tsan-suppressions.txt) recognises the closures by.
private struct TokenBucket {
    var tokens: Double
    var at: ContinuousClock.Instant
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
