/// The routing-quality targets, judged from the routing runs.
extension Targets {
    /// p50 within 5 % of the oracle's.
    static let p50OverOracle = 1.05
    /// p99 within 15 % of the oracle's.
    static let p99OverOracle = 1.15
    /// p99 at least 30 % lower than LiteLLM's.
    static let p99UnderLiteLLM = 0.7

    func routingRows() -> [Row] {
        guard let summary = RoutingSummary(results: results) else {
            return [Row(target: "Routing quality (four targets)", measured: "not run", verdict: "not measured")]
        }
        let router = summary.strategy("router")
        let oracle = summary.strategy("oracle")
        let litellm = summary.strategy("litellm")
        return [
            versus(
                "Routing: client TTFT p50 within 5 % of the oracle", router?.ttft?.p50, oracle?.ttft?.p50, "oracle",
                limit: Self.p50OverOracle),
            versus(
                "Routing: client TTFT p99 within 15 % of the oracle", router?.ttft?.p99, oracle?.ttft?.p99, "oracle",
                limit: Self.p99OverOracle),
            versus(
                "Routing: p99 at least 30 % lower than LiteLLM's latency-based routing", router?.ttft?.p99,
                litellm?.ttft?.p99, "LiteLLM", limit: Self.p99UnderLiteLLM),
            errorsWhileUp(router),
        ]
    }

    /// EdgeRouter's figure over another strategy's, met when the ratio is at most `limit`.
    private func versus(_ target: String, _ router: Double?, _ other: Double?, _ name: String, limit: Double) -> Row {
        guard let router else { return Row(target: target, measured: "EdgeRouter not measured", verdict: "not measured") }
        guard let other, other > 0 else {
            return Row(target: target, measured: "\(name) not measured", verdict: "not measured")
        }
        let ratio = router / other
        return Row(
            target: target,
            measured: "EdgeRouter \(Format.ms(router)) ms, \(name) \(Format.ms(other)) ms: \(Format.ratio(ratio))",
            verdict: ratio <= limit ? "met" : "missed (needs ≤ \(Format.ratio(limit)))")
    }

    private func errorsWhileUp(_ router: RoutingSummary.Strategy?) -> Row {
        let target = "Routing: zero client-visible errors while at least one provider is up"
        guard let router else { return Row(target: target, measured: "EdgeRouter not measured", verdict: "not measured") }
        let errors = router.errorsWhileUp
        let measured = "\(errors) of \(Format.rate(router.report.started)) requests failed" + (errors > 0 ? " \(Format.errors(router.report.errors))" : "")
        return Row(target: target, measured: measured, verdict: errors == 0 ? "met" : "missed")
    }
}
