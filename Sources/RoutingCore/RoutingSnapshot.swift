/// What the decision needs, frozen: for each model its deployments' live state, objective and hedging.
/// Rebuilt off the hot path when the models change and published through a ``SnapshotCell``.
public final class RoutingSnapshot: Sendable {
    public struct ModelRoute: Sendable {
        let model: Model
        let runtimes: [DeploymentRuntime]
    }

    public let routes: [String: ModelRoute]
    /// Every deployment's live state, by ``Deployment/key``, so a rebuilt snapshot keeps what was learned.
    public let runtimes: [String: DeploymentRuntime]

    public init(models: [Model], settings: RoutingSettings, reusing previous: RoutingSnapshot?) {
        var runtimes: [String: DeploymentRuntime] = [:]
        var routes: [String: ModelRoute] = [:]
        var index: Int32 = 0
        for model in models {
            let modelRuntimes = model.deployments.map { deployment in
                defer { index += 1 }
                let runtime =
                    previous?.runtimes[deployment.key]
                    ?? DeploymentRuntime(
                        deployment: deployment, index: index, estimator: settings.estimator,
                        breaker: settings.breaker)
                runtimes[deployment.key] = runtime
                return runtime
            }
            routes[model.name] = ModelRoute(model: model, runtimes: modelRuntimes)
        }
        self.routes = routes
        self.runtimes = runtimes
    }
}
