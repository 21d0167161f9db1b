/// The settings a configuration reload cannot change, because what they configure is built once when the router
/// starts: the listening socket and its connection handling, the GeoIP databases and the reading of client
/// addresses, the request log and its sink, resumable streams' buffers, the status page's sampler and sessions,
/// the probe engine, the hedge budget, the shutdown drain, the Responses API's store, the response cache's memory
/// tier and Redis, and the estimator and breaker settings of deployments that are kept (new deployments start with
/// the new ones). The models' and keys' cache policies do follow a reload.
///
/// A reload that changes any of them still applies everything else; these keep their running values, and the
/// reload's report names them as needing a restart.
enum RestartOnlySettings {
    /// The names (as in the file) of the restart-only settings that differ between `running` and `loaded`.
    static func changed(running: RouterConfiguration, loaded: RouterConfiguration) -> [String] {
        var changed: [String] = []
        func check(_ name: String, _ same: Bool) {
            if !same { changed.append(name) }
        }
        let (old, new) = (running, loaded)
        check("server.host", old.server.host == new.server.host)
        check("server.port", old.server.port == new.server.port)
        check("server.max_body_bytes", old.server.maxBodyBytes == new.server.maxBodyBytes)
        check("server.drain_timeout_ms", old.server.drainTimeout == new.server.drainTimeout)
        check(
            "server.timeouts, server.max_connections_per_client, server.descriptor_reserve, server.listen_backlog",
            old.server.connections == new.server.connections)
        check("geoip.city_db", old.geo.locationDatabasePath == new.geo.locationDatabasePath)
        check("geoip.asn_db", old.geo.asnDatabasePath == new.geo.asnDatabasePath)
        check("geoip.reload_interval_ms", old.geo.reloadInterval == new.geo.reloadInterval)
        check("geoip.trusted_proxies", old.geo.trustedProxies == new.geo.trustedProxies)
        check("geoip.client_ip_header", old.geo.clientIPHeader == new.geo.clientIPHeader)
        check("geoip.metric_countries", old.geo.metricCountries == new.geo.metricCountries)
        check("routing.ewma_decay_ms, recent_half_life_ms, quantile_half_life_ms, stale_after_ms (for kept deployments)", old.routing.estimator == new.routing.estimator)
        check("routing.breaker (for kept deployments)", old.routing.breaker == new.routing.breaker)
        check("routing.hedge_budget", old.routing.hedgeBudget == new.routing.hedgeBudget)
        check("probes", old.probes == new.probes)
        check("log", old.log == new.log)
        check("resume", old.resume == new.resume)
        check("status", old.status == new.status)
        check("responses", old.responses == new.responses)
        check(
            "cache.max_bytes, cache.max_request_ttl_ms, cache.redis",
            old.cache.maxBytes == new.cache.maxBytes && old.cache.maxRequestTTL == new.cache.maxRequestTTL
                && old.cache.redis == new.cache.redis)
        return changed
    }

    /// `loaded` with `running`'s values for the restart-only settings: what a reload serves.
    static func keeping(_ running: RouterConfiguration, in loaded: RouterConfiguration) -> RouterConfiguration {
        var served = loaded
        served.server.host = running.server.host
        served.server.port = running.server.port
        served.server.maxBodyBytes = running.server.maxBodyBytes
        served.server.drainTimeout = running.server.drainTimeout
        served.server.connections = running.server.connections
        var geo = running.geo
        geo.residencyRules = loaded.geo.residencyRules
        geo.fleet = loaded.geo.fleet
        served.geo = geo
        served.routing.hedgeBudget = running.routing.hedgeBudget
        served.probes = running.probes
        served.log = running.log
        served.resume = running.resume
        served.status = running.status
        served.responses = running.responses
        // The cache's store is built once; the models' policies follow the reload.
        served.cache.maxBytes = running.cache.maxBytes
        served.cache.maxRequestTTL = running.cache.maxRequestTTL
        served.cache.redis = running.cache.redis
        return served
    }
}
