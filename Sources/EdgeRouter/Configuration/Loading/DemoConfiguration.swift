/// The built-in configuration of `edge-router demo`: five simulated providers on loopback (three speaking
/// OpenAI's dialect, one of them flaky and one, `sim-steady`, through the Responses API natively; one Anthropic's;
/// one Gemini's), and an embedding model `demo-embed` on an
/// OpenAI-dialect and the Gemini-dialect one.
public enum DemoConfiguration {
    /// The gateway key clients of the demo use.
    public static let clientKey = "demo-key"
    /// The admin key of the demo's `/admin` endpoints.
    public static let adminKey = "demo-admin"
    /// A key with a budget of $0.001 a day: a few requests, then 429s that say why.
    public static let cappedKey = "demo-capped"
    /// A key whose answers are cached for five minutes (the response cache's demo): identical requests answer
    /// `x-edge-cache: miss`, then `hit`.
    public static let cachedKey = "demo-cached"

    /// The demo's simulated providers: id, dialect, region, and behaviour as `/_sim/config` JSON fields.
    public static var providers: [(id: String, dialect: String, region: String, behaviour: [String: Any])] {
        [
        ("sim-fast", "openai", "eu-west", ["ttft_ms": 80, "ttft_distribution": "normal", "ttft_spread_ms": 10, "seed": 1]),
        ("sim-steady", "openai-responses", "us-east", ["ttft_ms": 150, "ttft_distribution": "normal", "ttft_spread_ms": 20, "seed": 2]),
        (
            "sim-flaky", "openai", "eu-central",
            ["ttft_ms": 60, "ttft_distribution": "lognormal", "ttft_sigma": 0.6, "error_rate": 0.3, "error_status": 503, "seed": 3]
        ),
        ("sim-claude", "anthropic", "us-west", ["ttft_ms": 120, "ttft_distribution": "normal", "ttft_spread_ms": 15, "seed": 4]),
        ("sim-gemini", "gemini", "eu-west", ["ttft_ms": 100, "ttft_distribution": "normal", "ttft_spread_ms": 15, "seed": 5]),
        ]
    }

    /// The base URL of a simulated provider of `dialect` on `port`: OpenAI's (either OpenAI dialect) ends in `/v1`,
    /// the others' are the host alone (the router adds `/v1/messages` and `/v1beta/models/…`).
    static func baseURL(dialect: String, port: Int) -> String {
        dialect.hasPrefix("openai") ? "http://127.0.0.1:\(port)/v1" : "http://127.0.0.1:\(port)"
    }

    /// The simulator dialect (`edge-router sim --dialect`) that serves a demo provider of router dialect
    /// `dialect`: an `openai-responses` provider is an OpenAI simulator, which serves `/v1/responses` too.
    public static func simulatorDialect(of dialect: String) -> String {
        dialect == "openai-responses" ? "openai" : dialect
    }

    /// The YAML text, with the router and simulators on the given loopback ports; `geoDatabase` is a MaxMind
    /// City database to geolocate clients with (nil leaves geolocation off); `logPath` the request log's SQLite
    /// file (nil leaves the log off); `cogURL` a running Cog server (`scripts/demo --with-cog` starts one with the
    /// test predictor), which adds the provider `cog-echo` and the model `demo-cog` on it, failing over to sim-fast.
    public static func yaml(
        routerPort: Int, simPorts: [Int], geoDatabase: String? = nil, logPath: String? = nil, cogURL: String? = nil
    ) -> String {
        precondition(simPorts.count == providers.count, "the demo needs one port per simulated provider")
        let providerLines = zip(providers, simPorts).map { provider, port in
            """
              - id: \(provider.id)
                dialect: \(provider.dialect)
                base_url: \(baseURL(dialect: provider.dialect, port: port))
                api_key: sim-secret-\(provider.id)
                region: \(provider.region)
                timeouts: { connect_ms: 1000, first_token_ms: 2000, idle_ms: 10000 }
            """
        }.joined(separator: "\n")
        return """
            server:
              host: 127.0.0.1
              port: \(routerPort)
              max_attempts: 3
              request_timeout_ms: 30000
              drain_timeout_ms: 10000
            providers:
            \(providerLines)
            \(cogURL.map(cogProvider(url:)) ?? "")
            models:
            \(cogURL == nil ? "" : cogModel)
              - name: demo-chat
                aliases: [chat]
                deployments:
                  - { provider: sim-flaky, model: flaky-large, price: { input_per_mtok: 0.5, output_per_mtok: 1.5 } }
                  - { provider: sim-fast, model: fast-large, price: { input_per_mtok: 2.5, output_per_mtok: 10 } }
                  - { provider: sim-steady, model: steady-large, price: { input_per_mtok: 1.0, output_per_mtok: 4 } }
              - name: demo-mini
                deployments:
                  - { provider: sim-fast, model: fast-mini, price: { input_per_mtok: 0.15, output_per_mtok: 0.6 } }
                  - { provider: sim-steady, model: steady-mini, price: { input_per_mtok: 0.1, output_per_mtok: 0.4 } }
              - name: demo-multi
                default_max_tokens: 1024
                deployments:
                  - { provider: sim-claude, model: claude-sim, price: { input_per_mtok: 3, output_per_mtok: 15 } }
                  - { provider: sim-gemini, model: gemini-sim, price: { input_per_mtok: 0.3, output_per_mtok: 2.5 } }
                  - { provider: sim-steady, model: steady-large, price: { input_per_mtok: 1.0, output_per_mtok: 4 } }
              - name: demo-embed
                kind: embedding
                deployments:
                  - { provider: sim-fast, model: fast-embed, price: { input_per_mtok: 0.02 } }
                  - { provider: sim-gemini, model: gemini-embed, price: { input_per_mtok: 0.15 } }
            keys:
              - id: demo
                key: \(clientKey)
                metadata: { team: demo }
                resumable: true
              - id: demo-capped
                key: \(cappedKey)
                budget: { usd_per_day: 0.001 }
              - id: demo-cached
                key: \(cachedKey)
                cache: { ttl_ms: 300000, nondeterministic: true }
            admin_keys:
              - id: demo-admin
                key: \(adminKey)
            probes:
              interval_ms: 5000
            \(geoDatabase.map(geoSections) ?? "")
            \(logPath.map { "log: { path: \"\($0)\", retention_days: 30 }" } ?? "")
            """
    }

    /// A Cog server as a provider: one prediction slot, a generous first-token timeout (a model on a CPU).
    private static func cogProvider(url: String) -> String {
        """
          - id: cog-echo
            dialect: cog
            base_url: \(url)
            region: local
            capacity: 1
            timeouts: { connect_ms: 1000, first_token_ms: 10000, idle_ms: 10000 }
        """
    }

    /// `demo-cog`: the Cog predictor first, sim-fast when it is busy or down.
    private static let cogModel = """
          - name: demo-cog
            deployments:
              - provider: cog-echo
                model: echo-predictor
                chat_template: plain
                input: { prompt: "{{prompt}}", system_prompt: "{{system}}", max_tokens: "{{max_tokens}}" }
              - { provider: sim-fast, model: fast-mini, price: { input_per_mtok: 0.15, output_per_mtok: 0.6 } }
        """

    /// Loopback is a trusted proxy in the demo, so `curl -H 'X-Forwarded-For: …'` plays a client anywhere.
    private static func geoSections(database: String) -> String {
        """
        geoip:
          city_db: "\(database)"
          trusted_proxies: [127.0.0.0/8, "::1/128"]
          metric_countries: [US, GB, DE, FR, JP, CN, IN, BR]
        residency:
          - name: eu-only
            continents: [EU]
            regions: ["eu-*"]
        fleet:
          self: eu-frankfurt
          nearest_margin_km: 1000
          nodes:
            - { id: eu-frankfurt, url: "http://127.0.0.1:8080", latitude: 50.11, longitude: 8.68 }
            - { id: us-virginia, url: "https://us-east.edge.example", latitude: 38.95, longitude: -77.45 }
            - { id: ap-singapore, url: "https://ap-southeast.edge.example", latitude: 1.35, longitude: 103.82 }
        """
    }
}
