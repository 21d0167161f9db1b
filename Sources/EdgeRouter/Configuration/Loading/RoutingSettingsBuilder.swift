import RoutingCore
import Yams

/// Reads `routing:` and each model's `objective` and `hedge`.
struct RoutingSettingsBuilder {
    let reader: YAMLReader

    func routing(_ entry: (node: Node, path: String)?) -> RoutingSettings {
        var settings = RoutingSettings()
        guard let entry else { return settings }
        let allowed: Set = [
            "ewma_decay_ms", "recent_half_life_ms", "quantile_half_life_ms", "stale_after_ms", "hedge_budget", "breaker",
            "hang",
        ]
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return settings }
        settings.estimator.ewmaDecay = nanos(fields["ewma_decay_ms"], default: settings.estimator.ewmaDecay)
        settings.estimator.recentHalfLife = nanos(fields["recent_half_life_ms"], default: settings.estimator.recentHalfLife)
        settings.estimator.quantileHalfLife = nanos(fields["quantile_half_life_ms"], default: settings.estimator.quantileHalfLife)
        settings.estimator.staleAfter = nanos(fields["stale_after_ms"], default: settings.estimator.staleAfter)
        if let budget = fields["hedge_budget"] {
            settings.hedgeBudget.share = reader.double(budget, default: settings.hedgeBudget.share)
            if settings.hedgeBudget.share > 1 { reader.report(budget.path, budget.node, "a share between 0 and 1") }
        }
        if let breakerEntry = fields["breaker"] {
            let breakerFields: Set = [
                "consecutive_failures", "window", "minimum_calls", "failure_rate", "slow_call_rate", "slow_call_multiplier",
                "base_open_ms", "max_open_ms", "rate_limit_ms", "credentials_open_ms", "misconfigured_rejections",
            ]
            if let breaker = reader.mapping(breakerEntry.node, at: breakerEntry.path, allowed: breakerFields) {
                var config = settings.breaker
                config.consecutiveFailures = reader.int(breaker["consecutive_failures"], default: config.consecutiveFailures, range: 1...1000)
                config.windowSize = reader.int(breaker["window"], default: config.windowSize, range: 1...64)
                config.minimumCalls = reader.int(breaker["minimum_calls"], default: config.minimumCalls, range: 1...64)
                config.failureRateThreshold = reader.double(breaker["failure_rate"], default: config.failureRateThreshold)
                config.slowCallRateThreshold = reader.double(breaker["slow_call_rate"], default: config.slowCallRateThreshold)
                config.slowCallMultiplier = reader.double(breaker["slow_call_multiplier"], default: config.slowCallMultiplier, minimum: 1)
                config.baseOpenDuration = nanos(breaker["base_open_ms"], default: config.baseOpenDuration)
                config.maxOpenDuration = nanos(breaker["max_open_ms"], default: config.maxOpenDuration)
                config.defaultRateLimitDuration = nanos(breaker["rate_limit_ms"], default: config.defaultRateLimitDuration)
                config.credentialsOpenDuration = nanos(breaker["credentials_open_ms"], default: config.credentialsOpenDuration)
                config.misconfiguredRejections = reader.int(
                    breaker["misconfigured_rejections"], default: config.misconfiguredRejections, range: 0...1000)
                settings.breaker = config
            }
        }
        if let hangEntry = fields["hang"],
            let hang = reader.mapping(hangEntry.node, at: hangEntry.path, allowed: ["multiplier", "floor_ms", "minimum_samples", "hold_ms"])
        {
            var config = settings.hang
            config.multiplier = reader.double(hang["multiplier"], default: config.multiplier)
            config.floorNanos = nanos(hang["floor_ms"], default: config.floorNanos)
            config.minimumSamples = reader.int(hang["minimum_samples"], default: config.minimumSamples, range: 1...100_000)
            config.holdNanos = nanos(hang["hold_ms"], default: config.holdNanos)
            settings.hang = config
        }
        return settings
    }

    func modelRouting(objective: (node: Node, path: String)?, hedge: (node: Node, path: String)?) -> ModelRouting {
        var routing = ModelRouting()
        if let objective, let name = reader.string(objective) {
            switch name {
            case "ttft_mean": routing.objective = .ttftMean
            case "ttft_p50": routing.objective = .ttftP50
            case "ttft_p90": routing.objective = .ttftP90
            case "price": routing.objective = .price
            default: reader.report(objective.path, objective.node, "unknown objective '\(name)' (known: ttft_mean, ttft_p50, ttft_p90, price)")
            }
        }
        if let hedge, let text = reader.string(hedge) {
            switch text {
            case "off": routing.hedge = .off
            case "auto": routing.hedge = .auto
            default:
                // At most a day, as every other time in the file: a bigger number would overflow in nanoseconds.
                if let millis = Int(text.hasSuffix("ms") ? String(text.dropLast(2)) : text), (1...86_400_000).contains(millis) {
                    routing.hedge = .fixed(delayNanos: UInt64(millis) * 1_000_000)
                } else {
                    reader.report(hedge.path, hedge.node, "expected off, auto, or a delay of 1 to 86400000 milliseconds, got '\(text)'")
                }
            }
        }
        return routing
    }

    private func nanos(_ entry: (node: Node, path: String)?, default value: UInt64) -> UInt64 {
        guard entry != nil else { return value }
        return MonotonicTime.nanos(reader.milliseconds(entry, default: .nanoseconds(Int64(clamping: value))))
    }
}
