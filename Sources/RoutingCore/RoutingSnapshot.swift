/// What the decision needs, frozen: for each model its deployments' live state, objective and hedging, and the
/// routing settings they are decided with. Rebuilt off the hot path when the configuration changes (at start and
/// on each reload) and published through a ``SnapshotCell``; a request keeps the snapshot it was planned with.
public final class RoutingSnapshot: Sendable {
    public struct ModelRoute: Sendable {
        let model: Model
        let runtimes: [DeploymentRuntime]
    }

    public let routes: [String: ModelRoute]
    /// Every deployment's live state, by ``Deployment/key``, so a rebuilt snapshot keeps what was learned.
    public let runtimes: [String: DeploymentRuntime]
    /// The estimator, breaker, decision, hedging and hang settings of this snapshot.
    public let settings: RoutingSettings

    /// A snapshot of `models`. A deployment of `previous` with the same ``Deployment/key`` (model, provider id and
    /// upstream model) is the same deployment: its runtime, and so its estimate and breaker state, carries over
    /// (see ``DeploymentRuntime/init(carrying:as:index:)`` for one whose provider settings changed); any other
    /// deployment starts cold.
    public init(models: [Model], settings: RoutingSettings, reusing previous: RoutingSnapshot?) {
        var runtimes: [String: DeploymentRuntime] = [:]
        var routes: [String: ModelRoute] = [:]
        var index: Int32 = 0
        for model in models {
            let modelRuntimes = model.deployments.map { deployment in
                defer { index += 1 }
                let runtime: DeploymentRuntime
                if let kept = previous?.runtimes[deployment.key] {
                    runtime = kept.deployment.servesLike(deployment) ? kept : DeploymentRuntime(carrying: kept, as: deployment, index: index)
                } else {
                    runtime = DeploymentRuntime(
                        deployment: deployment, index: index, estimator: settings.estimator, breaker: settings.breaker)
                }
                runtimes[deployment.key] = runtime
                return runtime
            }
            routes[model.name] = ModelRoute(model: model, runtimes: modelRuntimes)
        }
        self.routes = routes
        self.runtimes = runtimes
        self.settings = settings
    }
}
