import RoutingCore
import Yams

/// Reads `probes:`.
struct ProbeSettingsBuilder {
    let reader: YAMLReader

    func probes(_ entry: (node: Node, path: String)) -> ProbeSettings {
        var settings = ProbeSettings()
        let allowed: Set = [
            "interval_ms", "jitter", "open_interval_ms", "max_concurrent", "max_per_minute", "cold_every",
            "connect_timeout_ms", "first_token_timeout_ms", "ready_timeout_ms", "ca_bundle", "prompt", "max_tokens",
        ]
        guard case .mapping = entry.node else { return settings }  // `probes: {}` or a mapping of settings
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return settings }
        settings.interval = reader.milliseconds(fields["interval_ms"], default: settings.interval)
        settings.jitter = min(reader.double(fields["jitter"], default: settings.jitter), 0.9)
        settings.openInterval = reader.milliseconds(fields["open_interval_ms"], default: settings.openInterval)
        settings.maxConcurrent = reader.int(fields["max_concurrent"], default: settings.maxConcurrent, range: 1...1024)
        settings.maxPerMinute = reader.int(fields["max_per_minute"], default: settings.maxPerMinute, range: 1...1_000_000)
        settings.coldEvery = reader.int(fields["cold_every"], default: settings.coldEvery, range: 1...10_000)
        settings.connectTimeout = reader.milliseconds(fields["connect_timeout_ms"], default: settings.connectTimeout)
        settings.firstTokenTimeout = reader.milliseconds(fields["first_token_timeout_ms"], default: settings.firstTokenTimeout)
        settings.readyTimeout = reader.milliseconds(fields["ready_timeout_ms"], default: settings.readyTimeout)
        settings.caBundlePath = reader.string(fields["ca_bundle"])
        if let path = settings.caBundlePath, let problem = CABundle.problem(at: path) {
            reader.report("\(entry.path).ca_bundle", fields["ca_bundle"]?.node, problem)
        }
        settings.prompt = reader.string(fields["prompt"]) ?? settings.prompt
        settings.maxTokens = reader.int(fields["max_tokens"], default: settings.maxTokens, range: 1...64)
        return settings
    }
}
