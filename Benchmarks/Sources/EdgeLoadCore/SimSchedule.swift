import Foundation

/// A timeline for several simulated providers: their settings at the start, then phases of equal length, each
/// changing some of them. `edge-load route` applies it to the simulators while it loads them, and its oracle
/// strategy reads the same timeline to know which provider is fastest at any moment.
///
/// The file is JSON with snake_case keys:
/// ```json
/// {"name": "routing-quality", "phase_seconds": 30,
///  "defaults": {"tokens_per_second": 200, "answer_tokens": 8},
///  "providers": [{"name": "sim-a", "settings": {"ttft_ms": 80, "ttft_distribution": "normal", "seed": 11}}],
///  "phases": [{"name": "baseline"}, {"name": "outage", "changes": {"sim-a": {"error_rate": 1}}}]}
/// ```
public struct SimSchedule: Sendable, Decodable {
    public struct Provider: Sendable, Decodable {
        /// The name the runner gives the simulator (`--sim NAME=URL`) and the proxies call it by.
        public var name: String
        public var settings: SimSettings
    }

    public struct Phase: Sendable, Decodable {
        public var name: String
        /// What happens in it, for the report.
        public var description: String?
        /// Settings changed when the phase starts, by provider name; they last until changed again.
        public var changes: [String: SimSettings]

        private enum CodingKeys: String, CodingKey { case name, description, changes }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            changes = try container.decodeIfPresent([String: SimSettings].self, forKey: .changes) ?? [:]
        }
    }

    public var name: String
    /// Length of every phase, unless the command line says otherwise.
    public var phaseSeconds: Double
    /// Applied to every provider before its own settings.
    public var defaults: SimSettings
    public var providers: [Provider]
    public var phases: [Phase]

    private enum CodingKeys: String, CodingKey { case name, phaseSeconds = "phase_seconds", defaults, providers, phases }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        phaseSeconds = try container.decode(Double.self, forKey: .phaseSeconds)
        defaults = try container.decodeIfPresent(SimSettings.self, forKey: .defaults) ?? SimSettings()
        providers = try container.decode([Provider].self, forKey: .providers)
        phases = try container.decode([Phase].self, forKey: .phases)
        try validate()
    }

    /// Reads a schedule file.
    public static func load(_ path: String) throws(LoadError) -> SimSchedule {
        do {
            return try JSONDecoder().decode(SimSchedule.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError("cannot read the schedule \(path): \(error)")
        }
    }

    private func validate() throws(LoadError) {
        guard phaseSeconds > 0 else { throw LoadError("phase_seconds must be positive") }
        guard !providers.isEmpty, !phases.isEmpty else { throw LoadError("a schedule needs providers and phases") }
        let names = providers.map(\.name)
        guard Set(names).count == names.count else { throw LoadError("provider names must be unique") }
        for phase in phases {
            for name in phase.changes.keys where !names.contains(name) {
                throw LoadError("phase '\(phase.name)' changes unknown provider '\(name)'")
            }
        }
        for (index, provider) in providers.enumerated() {
            let start = state(phase: 0)[index]
            guard start.ttftMs != nil, start.seed != nil else {
                throw LoadError("provider '\(provider.name)' needs ttft_ms and seed (in its settings or the defaults)")
            }
        }
    }

    /// Every provider's settings during a phase (the defaults, its own settings, then every change up to it).
    public func state(phase: Int) -> [SimSettings] {
        providers.map { provider in
            var settings = defaults.applying(provider.settings)
            for earlier in phases.prefix(phase + 1) {
                if let change = earlier.changes[provider.name] { settings = settings.applying(change) }
            }
            return settings
        }
    }

    /// The oracle's choice for a phase: the provider with the lowest expected TTFT among those not down, by the
    /// schedule (ties go to the first listed); nil when every provider is down.
    public func fastest(phase: Int) -> Int? {
        let expected = state(phase: phase).enumerated().compactMap { index, settings in
            settings.expectedTTFTMs.map { (index, $0) }
        }
        return expected.min { $0.1 < $1.1 }?.0
    }

    /// The oracle's choice around the start of a phase (`phase` ≥ 1): among the providers up on both sides of the
    /// change, the one whose worse expected TTFT of the two phases is lowest. A change lands on a simulator a few
    /// milliseconds after its time, so a request sent right at the boundary may meet either side's settings.
    public func fastest(across phase: Int) -> Int? {
        let before = state(phase: phase - 1)
        let after = state(phase: phase)
        let expected = zip(before, after).enumerated().compactMap { index, pair -> (Int, Double)? in
            guard let early = pair.0.expectedTTFTMs, let late = pair.1.expectedTTFTMs else { return nil }
            return (index, max(early, late))
        }
        return expected.min { $0.1 < $1.1 }?.0 ?? fastest(phase: phase)
    }

    /// The phase a moment of the window falls in (before the window: the first; after it: the last).
    public func phase(atOffset seconds: Double, phaseSeconds: Double) -> Int {
        min(max(Int((seconds / phaseSeconds).rounded(.down)), 0), phases.count - 1)
    }
}
