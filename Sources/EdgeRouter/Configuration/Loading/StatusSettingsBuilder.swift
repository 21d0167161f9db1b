import Yams

/// Reads `status:`.
struct StatusSettingsBuilder {
    let reader: YAMLReader

    func status(_ entry: (node: Node, path: String)?) -> StatusSettings {
        var settings = StatusSettings()
        guard let entry else { return settings }
        let allowed: Set = [
            "sample_interval_ms", "history_minutes", "event_interval_ms", "max_event_streams", "session_hours", "max_sessions",
            "region",
        ]
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return settings }
        settings.sampleInterval = reader.milliseconds(fields["sample_interval_ms"], default: settings.sampleInterval)
        settings.historyWindow = .seconds(60 * reader.int(fields["history_minutes"], default: 15, range: 1...24 * 60))
        settings.eventInterval = reader.milliseconds(fields["event_interval_ms"], default: settings.eventInterval)
        settings.maxEventStreams = reader.int(fields["max_event_streams"], default: settings.maxEventStreams, range: 1...1024)
        settings.sessionLifetime = .seconds(3600 * reader.int(fields["session_hours"], default: 12, range: 1...24 * 30))
        settings.maxSessions = reader.int(fields["max_sessions"], default: settings.maxSessions, range: 1...100_000)
        settings.region = reader.string(fields["region"])
        return settings
    }
}
