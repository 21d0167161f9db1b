/// What a model's routing optimizes.
public enum Objective: String, Sendable, Equatable, CaseIterable {
    /// Typical time to first token (the default).
    case ttftP50
    /// Tail time to first token, for models where a slow start hurts more than a slightly slower typical one.
    case ttftP90
    /// Price per million tokens, typical TTFT breaking ties.
    case price

    /// The objective of a model whose configuration names none.
    public static let defaultObjective = Objective.ttftP50

    /// This objective after the client's `sort` from `x-edge-route`: `price` ranks by price; `ttft` keeps a TTFT
    /// objective and turns `price` into ``ttftP50``.
    public func overridden(by sort: RouteControl.Sort?) -> Objective {
        switch sort {
        case nil: self
        case .price: .price
        case .ttft: self == .price ? .ttftP50 : self
        }
    }
}
