/// What a model's routing optimizes.
public enum Objective: String, Sendable, Equatable, CaseIterable {
    /// Expected (mean) time to first token (the default): a provider with a low median and a heavy tail ranks
    /// behind a steady one whose mean is lower.
    case ttftMean
    /// Median time to first token: the recent median, whatever the tail.
    case ttftP50
    /// Tail time to first token, for models where a slow start hurts more than a slightly slower typical one.
    case ttftP90
    /// Price per million tokens, expected TTFT breaking ties.
    case price

    /// The objective of a model whose configuration names none.
    public static let defaultObjective = Objective.ttftMean

    /// This objective after the client's `sort` from `x-edge-route`: `price` ranks by price; `ttft` keeps a TTFT
    /// objective and turns `price` into the default, ``ttftMean``.
    public func overridden(by sort: RouteControl.Sort?) -> Objective {
        switch sort {
        case nil: self
        case .price: .price
        case .ttft: self == .price ? .defaultObjective : self
        }
    }
}
