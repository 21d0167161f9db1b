import Foundation
import Probe
import RequestLog
import RoutingCore
import Yams

/// Turns the YAML document into a ``RouterConfiguration``, checking references between sections.
///
/// The file's shape is documented in the README ("Configuration reference"); each key is read here.
struct ConfigurationBuilder {
    let reader: YAMLReader

    func build(_ root: Node) -> RouterConfiguration? {
        guard
            let top = reader.mapping(
                root, at: "",
                allowed: [
                    "server", "providers", "models", "keys", "admin_keys", "geoip", "residency", "fleet", "routing", "probes",
                    "log", "resume", "status", "responses", "cache",
                ])
        else { return nil }
        let server = serverSettings(top["server"])
        let probes = top["probes"].map { ProbeSettingsBuilder(reader: reader).probes($0) }
        let providers = self.providers(top["providers"], defaultCABundle: probes?.caBundlePath)
        let models = self.models(top["models"], providers: providers)
        let geoBuilder = GeoSettingsBuilder(reader: reader)
        var geo = geoBuilder.geoip(top["geoip"])
        geo.residencyRules = geoBuilder.residencyRules(top["residency"])
        geo.fleet = geoBuilder.fleet(top["fleet"])
        let keys = keyRing(top["keys"], path: "keys", models: models, rules: Set(geo.residencyRules.map(\.name)))
        let adminKeys = keyRing(top["admin_keys"], path: "admin_keys", models: nil, rules: [])
        if top["providers"] == nil { reader.report("providers", nil, "missing required field") }
        if top["models"] == nil { reader.report("models", nil, "missing required field") }
        let routing = RoutingSettingsBuilder(reader: reader).routing(top["routing"])
        let status = StatusSettingsBuilder(reader: reader).status(top["status"])
        var cache = CacheSettingsBuilder(reader: reader).settings(top["cache"])
        cache.models = modelCachePolicies(top["models"])
        return RouterConfiguration(
            server: server, providers: providers, models: models, keys: keys, adminKeys: adminKeys, geo: geo,
            routing: routing, probes: probes, log: logSettings(top["log"]),
            resume: resumeSettings(top["resume"]), status: status, responses: responsesSettings(top["responses"]), cache: cache)
    }

    /// The models' `cache:` policies, by model name (the models were read, and their fields checked, already).
    private func modelCachePolicies(_ entry: (node: Node, path: String)?) -> [String: CachePolicy] {
        var policies: [String: CachePolicy] = [:]
        let builder = CacheSettingsBuilder(reader: reader)
        for (node, path) in reader.sequence(entry) {
            guard case .mapping(let mapping) = node else { continue }
            var name: String?
            var cacheNode: Node?
            for (key, value) in mapping {
                switch key.string {
                case "name": name = value.string
                case "cache": cacheNode = value
                default: break
                }
            }
            guard let name, let cacheNode else { continue }
            if let policy = builder.policy((cacheNode, "\(path).cache")) { policies[name] = policy }
        }
        return policies
    }

    /// `responses:`: the bounds of the Responses API's stored responses.
    private func responsesSettings(_ entry: (node: Node, path: String)?) -> ResponsesSettings {
        var settings = ResponsesSettings()
        guard let entry, let fields = reader.mapping(entry.node, at: entry.path, allowed: ["max_stored", "max_stored_bytes"]) else {
            return settings
        }
        settings.maxStored = reader.int(fields["max_stored"], default: settings.maxStored, range: 0...10_000_000)
        settings.maxStoredBytes = reader.int(fields["max_stored_bytes"], default: settings.maxStoredBytes, range: 0...(1 << 40))
        return settings
    }

    /// `resume:`: how long answers are kept for clients that left, and the buffers' memory.
    private func resumeSettings(_ entry: (node: Node, path: String)?) -> ResumeSettings {
        var settings = ResumeSettings()
        let allowed: Set = ["max_unattended_ms", "retain_ms", "max_stream_bytes", "max_total_bytes"]
        guard let entry, let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return settings }
        settings.maxUnattended = reader.milliseconds(fields["max_unattended_ms"], default: settings.maxUnattended)
        settings.retain = reader.milliseconds(fields["retain_ms"], default: settings.retain)
        settings.maxStreamBytes = reader.int(fields["max_stream_bytes"], default: settings.maxStreamBytes, range: 1024...(1 << 30))
        settings.maxTotalBytes = reader.int(fields["max_total_bytes"], default: settings.maxTotalBytes, range: 1024...(1 << 40))
        return settings
    }

    /// `log:`: the request log's sink (SQLite by default, or PostgreSQL with the file as its spool), retention and
    /// batching.
    private func logSettings(_ entry: (node: Node, path: String)?) -> LogSettings {
        var settings = LogSettings()
        let allowed: Set = [
            "path", "sink", "postgres", "budget_refresh_ms", "retention_days", "batch_ms", "batch_rows", "queue_capacity",
        ]
        guard let entry, let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return settings }
        settings.path = reader.string(fields["path"], required: "\(entry.path).path")
        if let sink = reader.string(fields["sink"]) {
            if let parsed = LogSettings.Sink(rawValue: sink) {
                settings.sink = parsed
            } else {
                reader.report("\(entry.path).sink", fields["sink"]?.node, "unknown sink '\(sink)' (known: sqlite, postgres)")
            }
        }
        if settings.sink == .postgres {
            if let postgres = fields["postgres"] {
                settings.postgres = postgresSettings(postgres)
            } else {
                reader.report("\(entry.path).postgres", nil, "missing required field (log.sink is postgres)")
            }
        } else if let postgres = fields["postgres"] {
            reader.report(postgres.path, postgres.node, "only read with 'sink: postgres'")
        }
        settings.budgetRefreshInterval = reader.milliseconds(fields["budget_refresh_ms"], default: settings.budgetRefreshInterval)
        settings.retentionDays = fields["retention_days"].map { reader.int($0, default: 30, range: 1...36_500) }
        settings.batchInterval = reader.milliseconds(fields["batch_ms"], default: settings.batchInterval)
        settings.batchRows = reader.int(fields["batch_rows"], default: settings.batchRows, range: 1...100_000)
        settings.queueCapacity = reader.int(fields["queue_capacity"], default: settings.queueCapacity, range: 1...10_000_000)
        return settings
    }

    /// `log.postgres`: where the fleet's database is. The password is read like any value (usually `${ENV}`) and
    /// never appears in a message: a mistake in it is reported by its path alone.
    private func postgresSettings(_ entry: (node: Node, path: String)) -> PostgresSettings? {
        let allowed: Set = ["host", "port", "database", "user", "password", "tls", "pool_size", "timeout_ms"]
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return nil }
        var settings = PostgresSettings()
        settings.host = reader.string(fields["host"], required: "\(entry.path).host") ?? settings.host
        settings.port = reader.int(fields["port"], default: settings.port, range: 1...65535)
        settings.database = reader.string(fields["database"], required: "\(entry.path).database") ?? settings.database
        settings.user = reader.string(fields["user"], required: "\(entry.path).user") ?? settings.user
        if let password = fields["password"] {
            if case .scalar = password.node {
                settings.password = reader.string(password)
            } else {
                reader.report(password.path, password.node, "expected a string")
            }
        }
        if let tls = reader.string(fields["tls"]) {
            if let mode = PostgresSettings.TLSMode(rawValue: tls) {
                settings.tls = mode
            } else {
                reader.report("\(entry.path).tls", fields["tls"]?.node, "unknown tls mode '\(tls)' (known: disable, require)")
            }
        }
        settings.poolSize = reader.int(fields["pool_size"], default: settings.poolSize, range: 1...100)
        settings.statementTimeout = reader.milliseconds(fields["timeout_ms"], default: settings.statementTimeout)
        return settings
    }

    private func serverSettings(_ entry: (node: Node, path: String)?) -> ServerSettings {
        var settings = ServerSettings()
        guard let entry else { return settings }
        let allowed: Set = [
            "host", "port", "max_body_bytes", "max_response_bytes", "request_timeout_ms", "max_attempts", "drain_timeout_ms",
            "timeouts", "max_connections_per_client", "descriptor_reserve", "listen_backlog",
        ]
        guard let fields = reader.mapping(entry.node, at: entry.path, allowed: allowed) else { return settings }
        settings.host = reader.string(fields["host"]) ?? settings.host
        settings.port = reader.int(fields["port"], default: settings.port, range: 0...65535)
        settings.maxBodyBytes = reader.int(fields["max_body_bytes"], default: settings.maxBodyBytes, range: 1024...(1 << 30))
        settings.maxResponseBytes = reader.int(
            fields["max_response_bytes"], default: settings.maxResponseBytes, range: 1024...(1 << 32))
        settings.requestTimeout = reader.milliseconds(fields["request_timeout_ms"], default: settings.requestTimeout)
        settings.maxAttempts = reader.int(fields["max_attempts"], default: settings.maxAttempts, range: 1...16)
        settings.drainTimeout = reader.milliseconds(fields["drain_timeout_ms"], default: settings.drainTimeout)
        settings.connections = connectionLimits(fields)
        return settings
    }

    /// `server.timeouts`, `server.max_connections_per_client`, `server.descriptor_reserve` and `server.listen_backlog`.
    private func connectionLimits(_ fields: [String: (node: Node, path: String)]) -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.maxPerClient = reader.int(
            fields["max_connections_per_client"], default: limits.maxPerClient, range: 0...1_000_000)
        limits.descriptorReserve = reader.int(fields["descriptor_reserve"], default: limits.descriptorReserve, range: 0...65_536)
        limits.listenBacklog = reader.int(fields["listen_backlog"], default: limits.listenBacklog, range: 1...65_535)
        guard let entry = fields["timeouts"],
            let timeouts = reader.mapping(entry.node, at: entry.path, allowed: ["header_read_ms", "body_read_ms", "idle_ms", "client_stall_ms"])
        else { return limits }
        limits.headerRead = reader.milliseconds(timeouts["header_read_ms"], default: limits.headerRead)
        limits.bodyRead = reader.milliseconds(timeouts["body_read_ms"], default: limits.bodyRead)
        limits.idle = reader.milliseconds(timeouts["idle_ms"], default: limits.idle)
        limits.clientStall = reader.milliseconds(timeouts["client_stall_ms"], default: limits.clientStall)
        return limits
    }

    /// `providers:`; a provider without a `ca_bundle` of its own trusts `probes.ca_bundle` when set.
    private func providers(_ entry: (node: Node, path: String)?, defaultCABundle: String?) -> [Provider] {
        var providers: [Provider] = []
        var seen: Set<String> = []
        var checkedBundles: Set<String> = []
        let allowed: Set = ["id", "dialect", "base_url", "api_key", "region", "headers", "capacity", "streams", "timeouts", "ca_bundle"]
        for (node, path) in reader.sequence(entry) {
            guard let fields = reader.mapping(node, at: path, allowed: allowed) else { continue }
            guard let id = reader.string(fields["id"], required: "\(path).id") else { continue }
            if !isIdentifier(id) {
                reader.report("\(path).id", fields["id"]?.node, "'\(id)' must be letters, digits, '-', '_' or '.'")
            }
            if !seen.insert(id).inserted {
                reader.report("\(path).id", fields["id"]?.node, "duplicate provider id '\(id)'")
            }
            var dialect = Dialect.openai
            if let name = reader.string(fields["dialect"]) {
                if let parsed = Dialect(rawValue: name) {
                    dialect = parsed
                } else {
                    reader.report("\(path).dialect", fields["dialect"]?.node, "unknown dialect '\(name)' (known: openai, openai-responses, anthropic, gemini, cog)")
                }
            }
            let baseURL = reader.string(fields["base_url"], required: "\(path).base_url").flatMap { url in
                validatedBaseURL(url, path: "\(path).base_url", node: fields["base_url"]?.node)
            }
            var capacity = fields["capacity"].map { reader.int($0, default: 0, range: 1...1_000_000) }
            // A Cog server runs one prediction at a time unless its model says `concurrency.max`; its `GET /` does
            // not say how many slots it has, so it is configured, 1 by default.
            if dialect == .cog, capacity == nil { capacity = 1 }
            var streams = true
            if let entry = fields["streams"] {
                if dialect != .cog {
                    reader.report(entry.path, entry.node, "only a 'dialect: cog' provider takes 'streams' (every other dialect streams)")
                }
                switch reader.string(entry) {
                case "true"?: streams = true
                case "false"?: streams = false
                case let other?: reader.report(entry.path, entry.node, "expected true or false, got '\(other)'")
                case nil: break
                }
            }
            var timeouts = ProviderTimeouts()
            if let timeoutEntry = fields["timeouts"],
                let timeoutFields = reader.mapping(
                    timeoutEntry.node, at: timeoutEntry.path, allowed: ["connect_ms", "first_token_ms", "idle_ms", "stream_ms"])
            {
                timeouts.connect = reader.milliseconds(timeoutFields["connect_ms"], default: timeouts.connect)
                timeouts.firstToken = reader.milliseconds(timeoutFields["first_token_ms"], default: timeouts.firstToken)
                timeouts.idle = reader.milliseconds(timeoutFields["idle_ms"], default: timeouts.idle)
                timeouts.stream = reader.milliseconds(timeoutFields["stream_ms"], default: timeouts.stream)
            }
            let caBundle = reader.string(fields["ca_bundle"])
            if let caBundle, checkedBundles.insert(caBundle).inserted, let problem = CABundle.problem(at: caBundle) {
                reader.report("\(path).ca_bundle", fields["ca_bundle"]?.node, problem)
            }
            providers.append(
                Provider(
                    id: id,
                    dialect: dialect,
                    baseURL: baseURL ?? "",
                    apiKey: reader.string(fields["api_key"]),
                    region: reader.string(fields["region"]) ?? "default",
                    headers: reader.stringMap(fields["headers"]),
                    capacity: capacity,
                    streams: streams,
                    timeouts: timeouts,
                    caBundlePath: caBundle ?? defaultCABundle
                )
            )
        }
        return providers
    }

    private func models(_ entry: (node: Node, path: String)?, providers: [Provider]) -> [Model] {
        var models: [Model] = []
        var names: Set<String> = []
        for (node, path) in reader.sequence(entry) {
            guard let fields = reader.mapping(node, at: path, allowed: ["name", "aliases", "deployments", "objective", "hedge", "probe_prompt", "probe_max_tokens", "default_max_tokens", "kind", "cache"])
            else { continue }
            guard let name = reader.string(fields["name"], required: "\(path).name") else { continue }
            let aliases = reader.stringList(fields["aliases"]) ?? []
            for (offset, candidate) in ([name] + aliases).enumerated() {
                let field = offset == 0 ? "\(path).name" : "\(path).aliases[\(offset - 1)]"
                if candidate.isEmpty || candidate.contains("/") {
                    reader.report(field, nil, "model names may not be empty or contain '/' (it pins a provider)")
                }
                if !names.insert(candidate).inserted {
                    reader.report(field, nil, "duplicate model name '\(candidate)'")
                }
            }
            var deployments: [Deployment] = []
            let deploymentEntries = reader.sequence(fields["deployments"])
            if deploymentEntries.isEmpty {
                reader.report("\(path).deployments", fields["deployments"]?.node, "a model needs at least one deployment")
            }
            for (deploymentNode, deploymentPath) in deploymentEntries {
                guard
                    let deployment = self.deployment(deploymentNode, at: deploymentPath, providers: providers)
                else { continue }
                if deployments.contains(where: { $0.label == deployment.label }) {
                    reader.report(deploymentPath, deploymentNode, "duplicate deployment \(deployment.label)")
                }
                deployments.append(deployment)
            }
            let kind = modelKind(fields["kind"], deployments: deployments)
            let routing = RoutingSettingsBuilder(reader: reader).modelRouting(objective: fields["objective"], hedge: fields["hedge"])
            let probe = ModelProbe(
                prompt: reader.string(fields["probe_prompt"]),
                maxTokens: fields["probe_max_tokens"].map { reader.int($0, default: 1, range: 1...64) })
            let maxTokens = fields["default_max_tokens"].map { reader.int($0, default: Model.standardMaxTokens, range: 1...1_000_000) }
            models.append(
                Model(
                    name: name, aliases: aliases, deployments: deployments, routing: routing, probe: probe,
                    defaultMaxTokens: maxTokens ?? Model.standardMaxTokens, kind: kind))
        }
        return models
    }

    /// `kind`: `chat` (the default) or `embedding`. Anthropic has no embeddings API, so an embedding model's
    /// deployment on an Anthropic-dialect provider is a mistake in the file.
    private func modelKind(_ entry: (node: Node, path: String)?, deployments: [Deployment]) -> ModelKind {
        guard let entry, let name = reader.string(entry) else { return .chat }
        guard let kind = ModelKind(rawValue: name) else {
            reader.report(entry.path, entry.node, "unknown kind '\(name)' (known: chat, embedding)")
            return .chat
        }
        if kind == .embedding {
            for deployment in deployments where deployment.provider.dialect == .anthropic || deployment.provider.dialect == .cog {
                reader.report(
                    entry.path, entry.node,
                    "an embedding model cannot be served by '\(deployment.provider.id)': \(deployment.provider.dialect == .cog ? "Cog" : "Anthropic")-dialect providers have no embeddings")
            }
        }
        return kind
    }

    private func deployment(_ node: Node, at path: String, providers: [Provider]) -> Deployment? {
        guard let fields = reader.mapping(node, at: path, allowed: ["provider", "model", "price", "input", "chat_template"]) else { return nil }
        let providerID = reader.string(fields["provider"], required: "\(path).provider")
        let upstreamModel = reader.string(fields["model"], required: "\(path).model")
        var price = Price()
        if let priceEntry = fields["price"],
            let priceFields = reader.mapping(
                priceEntry.node, at: priceEntry.path,
                allowed: ["input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok"])
        {
            price.inputPerMillion = reader.double(priceFields["input_per_mtok"], default: 0)
            price.outputPerMillion = reader.double(priceFields["output_per_mtok"], default: 0)
            if priceFields["cached_input_per_mtok"] != nil {
                price.cachedInputPerMillion = reader.double(priceFields["cached_input_per_mtok"], default: 0)
            }
            if priceFields["cache_write_per_mtok"] != nil {
                price.cacheWritePerMillion = reader.double(priceFields["cache_write_per_mtok"], default: 0)
            }
        }
        guard let providerID, let upstreamModel else { return nil }
        guard let provider = providers.first(where: { $0.id == providerID }) else {
            let known = providers.map(\.id).joined(separator: ", ")
            reader.report("\(path).provider", fields["provider"]?.node, "unknown provider '\(providerID)' (known: \(known))")
            return nil
        }
        let cogInput = CogInputBuilder(reader: reader).cogInput(
            input: fields["input"], chatTemplate: fields["chat_template"], provider: provider)
        return Deployment(provider: provider, upstreamModel: upstreamModel, price: price, cogInput: cogInput)
    }

    private func keyRing(_ entry: (node: Node, path: String)?, path: String, models: [Model]?, rules: Set<String>) -> KeyRing {
        var ring = KeyRing()
        var ids: Set<String> = []
        let modelNames = models.map { Set($0.flatMap { [$0.name] + $0.aliases }) }
        let allowed: Set =
            models == nil
            ? ["id", "key", "sha256"]
            : ["id", "key", "sha256", "models", "residency", "metadata", "log_bodies", "budget", "rate_limit", "resumable", "cache"]
        for (node, keyPath) in reader.sequence(entry) {
            guard let fields = reader.mapping(node, at: keyPath, allowed: allowed) else { continue }
            guard let id = reader.string(fields["id"], required: "\(keyPath).id") else { continue }
            if !ids.insert(id).inserted { reader.report("\(keyPath).id", fields["id"]?.node, "duplicate key id '\(id)'") }
            var allowedModels: Set<String>?
            if let list = reader.stringList(fields["models"]), let modelNames {
                for (offset, name) in list.enumerated() where !modelNames.contains(name) {
                    reader.report("\(keyPath).models[\(offset)]", nil, "unknown model '\(name)'")
                }
                // Aliases are resolved to configuration names so the check at request time is one set lookup.
                allowedModels = Set(list.compactMap { name in models?.first { $0.name == name || $0.aliases.contains(name) }?.name })
            }
            let residency = reader.string(fields["residency"])
            if let residency, !rules.contains(residency) {
                reader.report("\(keyPath).residency", fields["residency"]?.node, "unknown residency rule '\(residency)'")
            }
            let limits = KeySettingsBuilder(reader: reader)
            let key = GatewayKey(
                id: id, allowedModels: allowedModels, residencyRule: residency, metadata: limits.metadata(fields["metadata"]),
                bodyLogging: limits.bodyLogging(fields["log_bodies"]), budget: limits.budget(fields["budget"]),
                rateLimit: limits.rateLimit(fields["rate_limit"]), resumable: limits.flag(fields["resumable"]),
                cache: CacheSettingsBuilder(reader: reader).policy(fields["cache"], forKey: true))
            switch (fields["key"], fields["sha256"]) {
            case (let secretEntry?, nil):
                guard let secret = reader.string(secretEntry) else { continue }
                if secret.count < 6 {
                    reader.report(secretEntry.path, secretEntry.node, "a key must be at least 6 characters long")
                }
                ring.add(key, secret: secret)
            case (nil, let hashEntry?):
                guard let hash = reader.string(hashEntry) else { continue }
                guard hash.count == 64, hash.allSatisfy(\.isHexDigit) else {
                    reader.report(hashEntry.path, hashEntry.node, "expected 64 hex digits (the SHA-256 of the key)")
                    continue
                }
                ring.add(key, sha256Hex: hash)
            case (nil, nil):
                reader.report(keyPath, node, "a key needs 'key' (usually \"${VAR}\") or 'sha256'")
            case (_?, _?):
                reader.report(keyPath, node, "give either 'key' or 'sha256', not both")
            }
        }
        return ring
    }

    private func validatedBaseURL(_ text: String, path: String, node: Node?) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            reader.report(path, node, "'\(RedactedURL.withoutCredentials(text))' is not an http(s) URL")
            return nil
        }
        // What the upstream pool connects to: a URL it cannot read would fail every request.
        guard UpstreamOrigin(baseURL: text) != nil else {
            reader.report(
                path, node, "'\(RedactedURL.withoutCredentials(text))' must be http(s)://host[:port][/path][?query]")
            return nil
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    private func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
    }
}
