/// The built-in configuration of `edge-router demo`: three simulated providers on loopback, one of them flaky.
public enum DemoConfiguration {
    /// The gateway key clients of the demo use.
    public static let clientKey = "demo-key"
    /// The admin key of the demo's `/admin` endpoints.
    public static let adminKey = "demo-admin"

    /// The demo's simulated providers: id, region, and behaviour as `/_sim/config` JSON fields.
    public static var providers: [(id: String, region: String, behaviour: [String: Any])] {
        [
        ("sim-fast", "eu-west", ["ttft_ms": 80, "ttft_distribution": "normal", "ttft_spread_ms": 10, "seed": 1]),
        ("sim-steady", "us-east", ["ttft_ms": 150, "ttft_distribution": "normal", "ttft_spread_ms": 20, "seed": 2]),
        (
            "sim-flaky", "eu-central",
            ["ttft_ms": 60, "ttft_distribution": "lognormal", "ttft_sigma": 0.6, "error_rate": 0.3, "error_status": 503, "seed": 3]
        ),
        ]
    }

    /// The YAML text, with the router and simulators on the given loopback ports; `geoDatabase` is a MaxMind
    /// City database to geolocate clients with (nil leaves geolocation off).
    public static func yaml(routerPort: Int, simPorts: [Int], geoDatabase: String? = nil) -> String {
        precondition(simPorts.count == providers.count, "the demo needs one port per simulated provider")
        let providerLines = zip(providers, simPorts).map { provider, port in
            """
              - id: \(provider.id)
                base_url: http://127.0.0.1:\(port)/v1
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
            models:
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
            keys:
              - id: demo
                key: \(clientKey)
            admin_keys:
              - id: demo-admin
                key: \(adminKey)
            probes:
              interval_ms: 5000
            \(geoDatabase.map(geoSections) ?? "")
            """
    }

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
