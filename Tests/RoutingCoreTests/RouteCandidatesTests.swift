import Logging
import Testing

@testable import RoutingCore

/// ``RouteCandidates``, the plan's inline candidate storage, and the engine's plan on either side of its inline
/// capacity: up to eight candidates stay inline, more move into one array, and in both cases the plan holds every
/// ranked deployment in the decision's order.
@Suite("Route candidates", .timeLimit(.minutes(1)))
struct RouteCandidatesTests {
    private static func provider(_ index: Int) -> Provider {
        Provider(id: "p\(index)", baseURL: "http://127.0.0.1:\(9000 + index)")
    }

    /// A model of `count` deployments, p0 first, and an engine with exploration off (so the order is the ranking).
    private static func engine(deployments count: Int) -> (RoutingEngine, Model) {
        let model = Model(
            name: "chat", deployments: (0..<count).map { Deployment(provider: provider($0), upstreamModel: "m") })
        var settings = RoutingSettings()
        settings.decision.explorationShare = 0
        let engine = RoutingEngine(
            models: [model], settings: settings, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        return (engine, model)
    }

    /// Detached candidates for the storage tests, one per deployment of a model of `count`.
    private static func candidates(_ count: Int) -> [RouteCandidate] {
        engine(deployments: count).0.runtimes.map { RouteCandidate(runtime: $0, estimate: .none, isTrial: false) }
    }

    private static func ids(_ candidates: some Sequence<RouteCandidate>) -> [String] {
        candidates.map(\.deployment.provider.id)
    }

    @Test("eight appended candidates stay inline in order; the ninth moves all nine into an array, order kept")
    func inlineUpToCapacityThenSpilled() {
        let all = Self.candidates(9)
        var stored = RouteCandidates()
        for candidate in all.prefix(RouteCandidates.inlineCapacity) { stored.append(candidate) }
        #expect(!stored.isSpilled)
        #expect(stored.count == 8)
        #expect(Self.ids(stored) == Self.ids(all.prefix(8)))
        stored.append(all[8])
        #expect(stored.isSpilled)
        #expect(Self.ids(stored) == Self.ids(all))
        #expect(stored.popFirst()?.deployment.provider.id == all[0].deployment.provider.id)
        #expect(Self.ids(stored) == Self.ids(all.dropFirst()))
    }

    @Test("popFirst, remove(at:), insert(_:at:) and assignment give the same sequence as an Array, across the capacity")
    func editsMatchAnArray() {
        let pool = Self.candidates(12)
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var stored = RouteCandidates()
            var model: [RouteCandidate] = []
            for _ in 0..<40 {
                switch Int.random(in: 0..<4, using: &random) {
                case 0, 1:
                    let candidate = pool[Int.random(in: 0..<pool.count, using: &random)]
                    let at = Int.random(in: 0...model.count, using: &random)
                    stored.insert(candidate, at: at)
                    model.insert(candidate, at: at)
                case 2:
                    let popped = stored.popFirst()
                    let expected = model.isEmpty ? nil : model.removeFirst()
                    #expect(popped?.deployment.key == expected?.deployment.key)
                default:
                    guard !model.isEmpty else { continue }
                    let at = Int.random(in: 0..<model.count, using: &random)
                    #expect(stored.remove(at: at).deployment.key == model.remove(at: at).deployment.key)
                }
                #expect(Self.ids(stored) == Self.ids(model))
                #expect(stored.isSpilled == (stored.count > RouteCandidates.inlineCapacity))
            }
        }
    }

    @Test("an array literal and a sequence make the same candidates; the empty plan has none")
    func literalAndSequence() {
        let pool = Self.candidates(3)
        let literal: RouteCandidates = [pool[2], pool[0]]
        #expect(Self.ids(literal) == ["p2", "p0"])
        #expect(Self.ids(RouteCandidates(pool)) == Self.ids(pool))
        #expect(RouteCandidates().isEmpty)
    }

    @Test(
        "a plan for 1, 8, 9 and 20 deployments with distinct TTFTs lists them all fastest first; inline up to 8, spilled above",
        arguments: [1, 8, 9, 20])
    func planOrdersEveryDeploymentEitherSideOfCapacity(deployments: Int) {
        let (engine, model) = Self.engine(deployments: deployments)
        var now = MonotonicTime.now()
        // Configured order p0, p1, ...; measured TTFTs the reverse, so the plan must reorder to be right.
        for _ in 0..<10 {
            // The runtimes come in deployment order: index i is p<i>.
            for (index, runtime) in engine.runtimes.enumerated() {
                now += 1_000_000
                let millis = UInt64(100 + (deployments - index) * 10)
                _ = runtime.recordSuccess(ttftNanos: millis * 1_000_000, source: .live, now: now)
            }
        }
        let plan = engine.plan(RouteRequest(model: model), now: now + 1_000_000)
        #expect(Self.ids(plan.candidates) == (0..<deployments).reversed().map { "p\($0)" })
        #expect(plan.candidates.isSpilled == (deployments > RouteCandidates.inlineCapacity))
        #expect(plan.candidates.allSatisfy { $0.estimate.hasData })
        #expect(plan.reason == .best)
    }
}
