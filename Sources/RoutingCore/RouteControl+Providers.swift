extension RouteControl {
    /// Most provider ids one error message names; a header listing more mistakes than that is cut short.
    private static let maximumNamedMistakes = 5

    /// Checks that every provider id in `only`, `ignore` and `order` is one of `model`'s providers, so a typo or
    /// a stale id is a 400 the client can act on instead of a silent no-op (`ignore`, `order`) or a 503 that blames
    /// the providers (`only`). An id no provider has is an "unknown provider"; an id of a provider that serves
    /// other models only "does not serve" this one. Both messages list the model's providers, which
    /// `GET /v1/models` shows this key anyway. Run once per request with the header, off the routing decision.
    public func checkProviders(of model: Model, isKnownProvider: (String) -> Bool) throws(RouteControlError) {
        let lists: [(field: String, list: ProviderList?)] = [("only", only), ("ignore", ignore), ("order", order)]
        for (field, list) in lists {
            guard let list else { continue }
            var unknown: [String] = []
            var elsewhere: [String] = []
            for id in list.ids where !model.deployments.contains(where: { $0.provider.id == id }) {
                if !isKnownProvider(id) {
                    unknown.append(id)
                } else {
                    elsewhere.append(id)
                }
            }
            guard unknown.isEmpty, elsewhere.isEmpty else {
                throw Self.providerError(field: field, unknown: unknown, elsewhere: elsewhere, model: model)
            }
        }
    }

    private static func providerError(field: String, unknown: [String], elsewhere: [String], model: Model) -> RouteControlError {
        var served: [String] = []
        for deployment in model.deployments where !served.contains(deployment.provider.id) {
            served.append(deployment.provider.id)
        }
        let modelName = EchoedInput.quoted(model.name)
        let problem: String
        if !unknown.isEmpty {
            problem = "unknown provider\(unknown.count == 1 ? "" : "s") \(named(unknown)) in '\(field)'"
        } else {
            problem = "provider\(elsewhere.count == 1 ? "" : "s") \(named(elsewhere)) in '\(field)' "
                + "\(elsewhere.count == 1 ? "does" : "do") not serve model '\(modelName)'"
        }
        return RouteControlError(
            field: field, detail: "\(problem) (model '\(modelName)' is served by \(served.joined(separator: ", ")))")
    }

    /// `'a', 'b'`, each bounded, at most ``maximumNamedMistakes`` of them.
    private static func named(_ ids: [String]) -> String {
        let shown = ids.prefix(maximumNamedMistakes).map { "'\(EchoedInput.quoted($0))'" }.joined(separator: ", ")
        return ids.count > maximumNamedMistakes ? shown + " and \(ids.count - maximumNamedMistakes) more" : shown
    }
}
