import RequestLog
import Yams

/// Reads a key's `metadata:`, `log_bodies:`, `budget:` and `rate_limit:`.
struct KeySettingsBuilder {
    let reader: YAMLReader

    /// `metadata: {team: search, tier: 2, internal: true}`: values kept as their JSON text, numbers and booleans as
    /// YAML typed them (a quoted `"2"` stays a string).
    func metadata(_ entry: (node: Node, path: String)?) -> [(name: String, json: String)] {
        guard let entry, case .mapping(let mapping) = entry.node else {
            if let entry { reader.report(entry.path, entry.node, "expected a mapping of names to strings, numbers or booleans") }
            return []
        }
        var fields: [(name: String, json: String)] = []
        for (keyNode, valueNode) in mapping {
            guard let name = keyNode.string, MetadataName.isValid(name) else {
                reader.report(entry.path, keyNode, "metadata names are 1 to 64 letters, digits, '_' or '-'")
                continue
            }
            let path = "\(entry.path).\(name)"
            guard case .scalar(let scalar) = valueNode, let text = reader.string((valueNode, path)) else {
                reader.report(path, valueNode, "expected a string, number or boolean")
                continue
            }
            let plain = scalar.style == .plain
            if plain, let bool = Bool(text) {
                fields.append((name, bool ? "true" : "false"))
            } else if plain, let number = Double(text), number.isFinite, text.first != "+" {
                fields.append((name, text))
            } else {
                fields.append((name, JSONText.quoted(text)))
            }
        }
        if fields.count > 16 { reader.report(entry.path, entry.node, "at most 16 metadata fields") }
        return fields
    }

    /// `log_bodies: true`, or `log_bodies: {request_bytes: N, response_bytes: N}`.
    func bodyLogging(_ entry: (node: Node, path: String)?) -> GatewayKey.BodyLogging? {
        guard let entry else { return nil }
        if case .scalar = entry.node {
            switch reader.string(entry) {
            case "true": return GatewayKey.BodyLogging()
            case "false": return nil
            default:
                reader.report(entry.path, entry.node, "expected true, false or {request_bytes, response_bytes}")
                return nil
            }
        }
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: ["request_bytes", "response_bytes"]) else { return nil }
        var logging = GatewayKey.BodyLogging()
        logging.requestBytes = reader.int(fields["request_bytes"], default: logging.requestBytes, range: 0...(16 << 20))
        logging.responseBytes = reader.int(fields["response_bytes"], default: logging.responseBytes, range: 0...(16 << 20))
        return logging
    }

    /// `true` or `false`; absent is false.
    func flag(_ entry: (node: Node, path: String)?) -> Bool {
        guard let entry else { return false }
        switch reader.string(entry) {
        case "true": return true
        case "false": return false
        default:
            reader.report(entry.path, entry.node, "expected true or false")
            return false
        }
    }

    /// `budget: {usd_per_day: 10, usd_per_month: 200}`.
    func budget(_ entry: (node: Node, path: String)?) -> GatewayKey.Budget? {
        guard let entry, let fields = reader.mapping(entry.node, at: entry.path, allowed: ["usd_per_day", "usd_per_month"]) else {
            return nil
        }
        let budget = GatewayKey.Budget(
            usdPerDay: fields["usd_per_day"].map { reader.double($0, default: 0) },
            usdPerMonth: fields["usd_per_month"].map { reader.double($0, default: 0) })
        if budget.usdPerDay == nil, budget.usdPerMonth == nil {
            reader.report(entry.path, entry.node, "a budget needs usd_per_day, usd_per_month or both")
        }
        return budget
    }

    /// `rate_limit: {requests_per_minute: 600, tokens_per_minute: 100000}`.
    func rateLimit(_ entry: (node: Node, path: String)?) -> GatewayKey.RateLimit? {
        guard let entry,
            let fields = reader.mapping(entry.node, at: entry.path, allowed: ["requests_per_minute", "tokens_per_minute"])
        else { return nil }
        let limit = GatewayKey.RateLimit(
            requestsPerMinute: fields["requests_per_minute"].map { reader.int($0, default: 1, range: 1...100_000_000) },
            tokensPerMinute: fields["tokens_per_minute"].map { reader.int($0, default: 1, range: 1...1_000_000_000_000) })
        if limit.requestsPerMinute == nil, limit.tokensPerMinute == nil {
            reader.report(entry.path, entry.node, "a rate limit needs requests_per_minute, tokens_per_minute or both")
        }
        return limit
    }
}
