import Yams

/// Reads the response cache's settings: the top-level `cache:` and the `cache:` of models and keys.
struct CacheSettingsBuilder {
    let reader: YAMLReader

    /// `cache: {max_bytes, max_request_ttl_ms, redis}` at the top of the file.
    func settings(_ entry: (node: Node, path: String)?) -> CacheSettings {
        var settings = CacheSettings()
        guard let entry,
            let fields = reader.mapping(entry.node, at: entry.path, allowed: ["max_bytes", "max_request_ttl_ms", "redis"])
        else { return settings }
        settings.maxBytes = reader.int(fields["max_bytes"], default: settings.maxBytes, range: 4096...(1 << 40))
        settings.maxRequestTTL = reader.milliseconds(fields["max_request_ttl_ms"], default: settings.maxRequestTTL)
        settings.redis = fields["redis"].flatMap(redis)
        return settings
    }

    /// `cache.redis: {host, port, username, password, database, pool_size, timeout_ms, key_prefix}`. The password
    /// is read like any value (usually `${ENV}`) and never appears in a message.
    private func redis(_ entry: (node: Node, path: String)) -> RedisSettings? {
        let allowed: Set = ["host", "port", "username", "password", "database", "pool_size", "timeout_ms", "key_prefix"]
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return nil }
        var settings = RedisSettings()
        settings.host = reader.string(fields["host"], required: "\(entry.path).host") ?? settings.host
        settings.port = reader.int(fields["port"], default: settings.port, range: 1...65535)
        settings.username = reader.string(fields["username"])
        if let password = fields["password"] {
            if case .scalar = password.node {
                settings.password = reader.string(password)
            } else {
                reader.report(password.path, password.node, "expected a string")
            }
        }
        settings.database = fields["database"].map { reader.int($0, default: 0, range: 0...1_000_000) }
        settings.poolSize = reader.int(fields["pool_size"], default: settings.poolSize, range: 1...64)
        settings.timeout = reader.milliseconds(fields["timeout_ms"], default: settings.timeout)
        settings.keyPrefix = reader.string(fields["key_prefix"]) ?? settings.keyPrefix
        return settings
    }

    /// A model's or a key's `cache: {enabled, ttl_ms, max_entry_bytes, nondeterministic, replay_pacing_ms}`, or
    /// `cache: true` (the defaults) or `false`. A model's `false` (or `enabled: false`) is the same as no `cache:`;
    /// a key's (`forKey`) is ``CachePolicy/disabled``, which turns the cache off for the key's requests even for
    /// models that opt in.
    func policy(_ entry: (node: Node, path: String)?, forKey: Bool = false) -> CachePolicy? {
        guard let entry else { return nil }
        let off: CachePolicy? = forKey ? .disabled : nil
        if case .scalar = entry.node {
            switch reader.string(entry) {
            case "true": return CachePolicy()
            case "false": return off
            default:
                reader.report(
                    entry.path, entry.node,
                    "expected true, false or {enabled, ttl_ms, max_entry_bytes, nondeterministic, replay_pacing_ms}")
                return nil
            }
        }
        let allowed: Set = ["enabled", "ttl_ms", "max_entry_bytes", "nondeterministic", "replay_pacing_ms"]
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return nil }
        let flags = KeySettingsBuilder(reader: reader)
        if fields["enabled"] != nil, !flags.flag(fields["enabled"]) { return off }
        var policy = CachePolicy()
        policy.ttl = reader.milliseconds(fields["ttl_ms"], default: policy.ttl)
        policy.maxEntryBytes = reader.int(fields["max_entry_bytes"], default: policy.maxEntryBytes, range: 256...(1 << 30))
        policy.nondeterministic = flags.flag(fields["nondeterministic"])
        policy.replayPacing = replayPacing(fields["replay_pacing_ms"])
        return policy
    }

    /// `replay_pacing_ms`: a whole number of milliseconds, at most 10 s between two events (a longer gap would trip
    /// the client's own idle timeouts), or `original` for the provider's own spacing.
    private func replayPacing(_ entry: (node: Node, path: String)?) -> ReplayPacing {
        guard let entry, let text = reader.string(entry) else { return .fixed(.zero) }
        if text == "original" { return .original }
        let range = 0...Int(CachedAnswer.maxGapMs)
        guard let milliseconds = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(milliseconds) else {
            reader.report(
                entry.path, entry.node, "expected a whole number of milliseconds in \(range.lowerBound)...\(range.upperBound) or original, got '\(text)'")
            return .fixed(.zero)
        }
        return .fixed(.milliseconds(milliseconds))
    }
}
