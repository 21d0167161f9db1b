import EdgeLoadCore
import Foundation

/// The routing-quality part of the report: the schedule, each strategy's client TTFT and errors over the whole
/// run and by phase, ratios to the oracle and to LiteLLM, who served, and the chart.
struct RoutingSection {
    let summary: RoutingSummary
    /// Where the TTFT-over-time chart is, relative to the report (nil: it could not be drawn).
    let chartLink: String?

    func lines() -> [String] {
        var lines = ["## Routing quality: \(summary.providers.count) providers whose TTFT shifts", ""]
        lines += intro()
        lines += schedule()
        lines += overall()
        lines += byPhase()
        lines += servedBy()
        lines += chart()
        return lines
    }

    private var info: RunInfo.Routing { summary.info }

    private func intro() -> [String] {
        let total = info.phaseSeconds * Double(summary.phases.count)
        let answer = info.answerTokens.map { ", answers of \($0) tokens" } ?? ""
        var lines = [
            "\(summary.providers.count) simulated providers (`edge-router sim`, one process each) serve the same model "
                + "while the schedule `\(summary.scheduleName)` (`Benchmarks/Schedules/\(summary.scheduleName).json`) "
                + "changes them every \(Format.seconds(info.phaseSeconds)) s: `edge-load route` posts each phase's changes "
                + "to `/_sim/config` when the phase starts, on the clock it schedules requests with. The strategies "
                + "run one after another against the same schedule; before each, every simulator is reset to the "
                + "first phase and reseeded, so each strategy meets the same providers.",
            "",
            "Load: open loop, \(Format.rate(info.rate)) streamed requests/s\(answer); \(Format.seconds(info.warmupS)) s of "
                + "warm-up in the first phase (not measured), then \(Format.seconds(total)) s measured. TTFT is the client's "
                + "time from a request's scheduled start to its first content delta, over successful requests; a "
                + "request that failed is an error and has no TTFT.",
            "",
        ]
        for strategy in info.strategies {
            lines.append("- **\(strategy.name)** (`\(strategy.id)`): \(strategy.how)")
        }
        lines.append("")
        return lines
    }

    private func schedule() -> [String] {
        var lines = ["### The schedule", ""]
        let rows = summary.phases.map { phase in
            [phase.name + (phase.description.map { ": " + $0 } ?? ""), timeRange(phase)]
                + summary.providers.map { phase.providers[$0] ?? "—" } + [phase.fastest.map { "`\($0)`" } ?? "none up"]
        }
        lines += Markdown.table(["phase", "seconds"] + summary.providers.map { "`\($0)`" } + ["fastest (the oracle's choice)"], rows)
        lines.append(
            "The oracle's choice is the provider with the lowest expected (mean) TTFT among those up: for a log-normal "
                + "that is median × e^(σ²/2), so a provider with a low median and a heavy tail is not chosen for its "
                + "median alone. Within 100 ms of a phase change (changes land a few milliseconds after their time) "
                + "it picks among the providers up on both sides of it.")
        if let late = summary.worstApplyLateMs {
            lines.append("Phase changes were in place at most \(Format.ms(late)) ms after their scheduled time in every run.")
        }
        lines.append("")
        return lines
    }

    private func overall() -> [String] {
        var lines = ["### Over the whole run", ""]
        let oracle = summary.strategy("oracle")?.ttft
        let litellm = summary.strategy("litellm")?.ttft
        let rows = summary.strategies.map { strategy -> [String] in
            let ttft = strategy.ttft
            let errors = strategy.report.failed == 0 ? "0" : "\(strategy.report.failed) \(Format.errors(strategy.report.errors))"
            return [
                strategy.name, Format.rate(strategy.report.started),
                ttft.map { Format.ms($0.p50) } ?? "—", ttft.map { Format.ms($0.p90) } ?? "—",
                ttft.map { Format.ms($0.p99) } ?? "—", ttft.map { Format.ms($0.p999) } ?? "—", errors,
                ratio(ttft?.p50, oracle?.p50, same: strategy.id == "oracle"),
                ratio(ttft?.p99, oracle?.p99, same: strategy.id == "oracle"),
                ratio(ttft?.p99, litellm?.p99, same: strategy.id == "litellm"),
                strategy.onFastest.map { String(format: "%.0f %%", $0 * 100) } ?? "—",
                strategy.report.processes["proxy"].map { String(format: "%.2f", $0.cpuSeconds / strategy.report.durationSeconds) } ?? "—",
            ]
        }
        lines += Markdown.table(
            ["strategy", "requests", "TTFT p50 ms", "p90", "p99", "p99.9", "errors", "p50 ÷ oracle", "p99 ÷ oracle",
                "p99 ÷ LiteLLM", "served by the fastest", "proxy CPU (cores)"],
            rows)
        lines.append(
            "*served by the fastest*: share of successful requests that went to the phase's fastest provider by the "
                + "schedule (from `x-edge-provider` for EdgeRouter, `x-litellm-model-id` for LiteLLM). *proxy CPU*: "
                + "the proxy's CPU time over the window divided by its length; near the cores it has, it queues "
                + "requests and its TTFT measures its own overload rather than its choice of provider.")
        lines.append("")
        return lines
    }

    private func byPhase() -> [String] {
        var lines = ["### By phase (TTFT p50 / p99 in ms; errors)", ""]
        let rows = summary.phases.indices.map { index -> [String] in
            let phase = summary.phases[index]
            var row = [phase.name, phase.fastest.map { "`\($0)`" } ?? "none up"]
            for strategy in summary.strategies {
                guard strategy.scenario.phases.indices.contains(index) else {
                    row.append("—")
                    continue
                }
                let figures = strategy.scenario.phases[index]
                var cell = figures.ttftMs.map { "\(Format.ms($0.p50)) / \(Format.ms($0.p99))" } ?? "no answer"
                if figures.failed > 0 { cell += "; **\(figures.failed) errors** \(Format.errors(figures.errors))" }
                row.append(cell)
            }
            return row
        }
        lines += Markdown.table(["phase", "fastest"] + summary.strategies.map(\.name), rows)
        return lines
    }

    /// Where the routing proxies sent requests, phase by phase (client-side strategies need no table: they go
    /// where their rule says).
    private func servedBy() -> [String] {
        let proxies = summary.strategies.filter { $0.scenario.strategy == TargetStrategy.url.rawValue }
        guard !proxies.isEmpty else { return [] }
        var lines = ["### Where the proxies sent requests (share of successful requests by provider)", ""]
        let rows = summary.phases.indices.map { index -> [String] in
            let phase = summary.phases[index]
            var row = [phase.name, phase.fastest.map { "`\($0)`" } ?? "none up"]
            for strategy in proxies {
                guard strategy.scenario.phases.indices.contains(index) else {
                    row.append("—")
                    continue
                }
                let served = strategy.scenario.phases[index].servedBy
                let total = served.values.reduce(0, +)
                guard total > 0 else {
                    row.append("unknown")
                    continue
                }
                row.append(
                    served.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                        .map { "\($0.key) \(String(format: "%.0f", Double($0.value) * 100 / Double(total))) %" }
                        .joined(separator: ", "))
            }
            return row
        }
        lines += Markdown.table(["phase", "fastest"] + proxies.map(\.name), rows)
        return lines
    }

    private func chart() -> [String] {
        guard let chart = chartLink else {
            return ["The TTFT-over-time chart could not be drawn in this run (see the runner's log).", ""]
        }
        return [
            "### TTFT over time", "",
            "Per strategy, p50 (solid) and p99 (dashed) of the TTFT of requests started in a sliding window, with the "
                + "phases marked; errors are ticks along the bottom.", "",
            "![Client TTFT over time per strategy](\(chart))", "",
        ]
    }

    private func timeRange(_ phase: ScenarioFigures.Phase) -> String {
        "\(Format.seconds(phase.startS))–\(Format.seconds(phase.startS + phase.durationS))"
    }

    private func ratio(_ value: Double?, _ base: Double?, same: Bool) -> String {
        if same { return "—" }
        guard let value, let base, base > 0 else { return "—" }
        return Format.ratio(value / base)
    }
}
