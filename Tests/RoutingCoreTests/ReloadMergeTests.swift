import Logging
import Testing

@testable import RoutingCore

/// What a configuration reload does to the routing state: ``RoutingEngine/prepare(_:settings:)`` and
/// ``RoutingSnapshot/init(models:settings:reusing:)`` keep the runtimes of deployments whose key stays, start new
/// ones cold and leave removed ones out; ``CatalogChange`` reports which are which.
@Suite("Reload merge", .timeLimit(.minutes(1)))
struct ReloadMergeTests {
    private static let fast = Provider(id: "fast", baseURL: "http://127.0.0.1:1")
    private static let slow = Provider(id: "slow", baseURL: "http://127.0.0.1:2")
    private static let extra = Provider(id: "extra", baseURL: "http://127.0.0.1:3")

    private static func engine(_ models: [Model]) -> RoutingEngine {
        RoutingEngine(models: models, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    private static func chat(_ providers: Provider...) -> Model {
        Model(name: "chat", deployments: providers.map { Deployment(provider: $0, upstreamModel: "m") })
    }

    @Test("a kept deployment keeps its runtime object, estimate and open breaker; a new one starts cold; a removed one is gone")
    func keptKeepStateNewStartColdRemovedGone() throws {
        let engine = Self.engine([Self.chat(Self.fast, Self.slow)])
        let before = engine.snapshot
        let fast = try #require(before.runtimes.values.first { $0.deployment.provider.id == "fast" })
        let slow = try #require(before.runtimes.values.first { $0.deployment.provider.id == "slow" })
        let now = MonotonicTime.now()
        _ = fast.recordSuccess(ttftNanos: 120_000_000, source: .live, now: now)
        _ = fast.recordSuccess(ttftNanos: 130_000_000, source: .live, now: now)
        _ = fast.recordFailure(.credentialsRejected, detail: "401", now: now)

        let (after, change) = engine.prepare([Self.chat(Self.fast, Self.extra)], settings: RoutingSettings())
        engine.publish(after)

        #expect(change == CatalogChange(added: ["chat\u{0}extra\u{0}m"], removed: ["chat\u{0}slow\u{0}m"], kept: ["chat\u{0}fast\u{0}m"]))
        let keptFast = try #require(after.runtimes["chat\u{0}fast\u{0}m"])
        #expect(keptFast === fast)
        #expect(keptFast.estimate(now: now).sampleCount == 2)
        if case .open(_, let reason) = keptFast.snapshot(now: now).breaker {
            #expect(reason == .credentialsRejected)
        } else {
            Issue.record("the kept deployment's breaker is no longer open")
        }
        let extra = try #require(after.runtimes["chat\u{0}extra\u{0}m"])
        #expect(!extra.estimate(now: now).hasData)
        #expect(extra.isBreakerClosed)
        #expect(after.runtimes["chat\u{0}slow\u{0}m"] == nil)
        #expect(!engine.isCurrent(slow))
        #expect(engine.isCurrent(fast) && engine.isCurrent(extra))
        // The snapshot a request was planned on still holds the removed deployment, for its in-flight requests.
        #expect(before.runtimes["chat\u{0}slow\u{0}m"] === slow)
    }

    @Test("a kept deployment whose provider URL and key changed gets a new runtime carrying its samples and breaker state")
    func changedProviderCarriesState() throws {
        let engine = Self.engine([Self.chat(Self.fast)])
        let old = try #require(engine.snapshot.runtimes["chat\u{0}fast\u{0}m"])
        let now = MonotonicTime.now()
        for _ in 0..<5 { _ = old.recordSuccess(ttftNanos: 200_000_000, source: .probe, now: now) }
        _ = old.recordFailure(.credentialsRejected, detail: "401", now: now)
        old.decisions.store(7, ordering: .relaxed)
        var moved = Self.fast
        moved.baseURL = "http://127.0.0.1:9"
        moved.apiKey = "rotated"

        let (after, change) = engine.prepare([Self.chat(moved)], settings: RoutingSettings())

        #expect(change.kept == ["chat\u{0}fast\u{0}m"] && change.added.isEmpty && change.removed.isEmpty)
        let carried = try #require(after.runtimes["chat\u{0}fast\u{0}m"])
        #expect(carried !== old)
        #expect(carried.deployment.provider.baseURL == "http://127.0.0.1:9")
        #expect(carried.deployment.provider.apiKey == "rotated")
        #expect(carried.estimate(now: now).probeSamples == 5)
        #expect(carried.estimate(now: now).p50Nanos == old.estimate(now: now).p50Nanos)
        #expect(carried.snapshot(now: now).breaker == old.snapshot(now: now).breaker)
        #expect(!carried.isBreakerClosed)
        #expect(carried.decisions.load(ordering: .relaxed) == 7)
    }

    @Test("the new snapshot's routing settings are the ones plans use; plans on the old snapshot keep the old model list")
    func plansFollowTheirSnapshot() throws {
        let engine = Self.engine([Self.chat(Self.fast)])
        let before = engine.snapshot
        let other = Model(name: "other", deployments: [Deployment(provider: Self.slow, upstreamModel: "o")])
        var settings = RoutingSettings()
        settings.decision.explorationShare = 0
        let (after, _) = engine.prepare([other], settings: settings)
        engine.publish(after)

        #expect(engine.snapshot.settings.decision == settings.decision)
        let now = MonotonicTime.now()
        #expect(engine.plan(RouteRequest(model: Self.chat(Self.fast)), in: before, now: now).candidates.count == 1)
        #expect(engine.plan(RouteRequest(model: Self.chat(Self.fast)), now: now).candidates.isEmpty)
        #expect(engine.plan(RouteRequest(model: other), now: now).candidates.first?.deployment.provider.id == "slow")
    }

    @Test("a renamed upstream model is a removed deployment and an added one; duplicates are counted once")
    func renamedIsRemovedAndAdded() {
        let old = ["chat\u{0}fast\u{0}m", "chat\u{0}slow\u{0}m"]
        let renamed = Model(
            name: "chat",
            deployments: [
                Deployment(provider: Self.fast, upstreamModel: "m2"), Deployment(provider: Self.slow, upstreamModel: "m"),
                Deployment(provider: Self.slow, upstreamModel: "m"),
            ])
        let change = CatalogChange(from: old, to: [renamed])
        #expect(change.added == ["chat\u{0}fast\u{0}m2"])
        #expect(change.removed == ["chat\u{0}fast\u{0}m"])
        #expect(change.kept == ["chat\u{0}slow\u{0}m"])
    }
}
