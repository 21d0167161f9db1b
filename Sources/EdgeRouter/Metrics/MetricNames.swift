import Prometheus

extension MetricNameDescriptor {
    /// A metric of this router: `edge_<name>_<unit>`, with its help text.
    static func edge(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "edge", metricName: name, unitName: unit, helpText: help)
    }
}

/// Every metric the router exports, in one place: the metric code makes its metrics from these descriptors, and
/// the dashboards and alerting rules under `deploy/` are checked against ``all`` (by `edge-router check --deploy`
/// and by a test), so that a renamed metric cannot leave a panel or an alert silently empty.
public enum MetricNames {
    /// How Prometheus exposes a metric: a histogram is read through its `_bucket`, `_sum` and `_count` series.
    public enum Kind: Sendable {
        /// A counter (its name ends in `_total`).
        case counter
        /// A gauge.
        case gauge
        /// A histogram: `<name>_bucket`, `<name>_sum` and `<name>_count`.
        case histogram
    }

    /// One exported metric: its full name and kind.
    public struct Metric: Sendable, Hashable {
        /// The metric's full name, such as `edge_requests_total`.
        public let name: String
        /// How it is exposed.
        public let kind: Kind
        let help: String
        let descriptorName: String
        let unit: String

        init(_ name: String, _ unit: String, _ kind: Kind, _ help: String) {
            self.descriptorName = name
            self.unit = unit
            self.kind = kind
            self.help = help
            self.name = "edge_\(name)_\(unit)"
        }

        /// The descriptor the registry makes this metric's series from.
        var descriptor: MetricNameDescriptor { .edge(descriptorName, unit, help) }

        /// The series names Prometheus stores for this metric.
        public var seriesNames: [String] {
            switch kind {
            case .counter, .gauge: [name]
            case .histogram: [name + "_bucket", name + "_sum", name + "_count"]
            }
        }
    }

    // Requests and latency per deployment (RouterMetrics).
    static let requests = Metric("requests", "total", .counter, "Client requests by model, provider and outcome.")
    static let attemptFailures = Metric("attempt_failures", "total", .counter, "Upstream attempts that failed, by cause.")
    static let streamInterruptions = Metric("stream_interruptions", "total", .counter, "Streams that broke after the first token.")
    static let timeToFirstToken = Metric(
        "time_to_first_token", "seconds", .histogram, "Time to the first content token, per deployment.")
    static let timeToFirstByte = Metric(
        "time_to_first_byte", "seconds", .histogram, "Time to the upstream response head, per deployment.")
    static let requestDuration = Metric("request_duration", "seconds", .histogram, "Time from request to the end of the answer.")
    static let clientStalls = Metric(
        "client_stalls", "total", .counter, "Streams cut because their client stopped reading for client_stall_ms.")
    static let requestsInFlight = Metric("requests_in_flight", "count", .gauge, "Client requests being served now.")
    static let ttftEstimate = Metric(
        "ttft_estimate", "seconds", .gauge,
        "The router's live TTFT estimate per deployment (stat: expected, p50, p90, p99), as of the scrape; absent until the deployment has a sample.")
    static let nodeReady = Metric(
        "node", "ready", .gauge, "1 when /readyz answers ready (listening, probes done or timed out, not draining), else 0.")

    // Clients by place (ClientGeoMetrics).
    static let clientRequests = Metric(
        "client_requests", "total", .counter, "Client requests by client continent and country (listed countries only, else 'other').")
    static let clientTimeToFirstToken = Metric(
        "client_time_to_first_token", "seconds", .histogram, "Time to first token by client continent.")

    // GeoIP databases (GeoIPMetrics).
    static let geoipDatabaseBuild = Metric(
        "geoip_database_build", "timestamp_seconds", .gauge,
        "Build time (Unix seconds) of the GeoIP database in service, by role (location, asn); set at load and at each reload.")

    // Client connections (ConnectionMetrics).
    static let connectionsRefused = Metric(
        "connections_refused", "total", .counter, "Client connections closed at once when accepted, by reason.")
    static let connectionTimeouts = Metric(
        "connection_timeouts", "total", .counter, "Client connections closed by a read timeout (header, body, idle).")
    static let acceptErrors = Metric(
        "accept_errors", "total", .counter,
        "Failed accepts (out of file descriptors or memory); out of descriptors, new connections are shed.")
    static let clientConnections = Metric("client_connections", "count", .gauge, "Open client connections.")

    // Probes (ProbeMetrics).
    static let probePhase = Metric(
        "probe_phase", "seconds", .histogram, "Background probe timings by phase (dns, connect, tls, first_byte, first_token, total).")
    static let probes = Metric(
        "probes", "total", .counter,
        "Background probes by outcome (ok, skipped because live traffic was fresh, or the cause of failure).")
    static let probeLast = Metric("probe_last", "timestamp_seconds", .gauge, "Unix time of the last probe of a deployment.")

    // Non-streaming answers over the size limit (ResponseLimitMetrics).
    static let responsesTooLarge = Metric(
        "responses_too_large", "total", .counter, "Non-streaming answers refused for passing server.max_response_bytes.")

    // The routing engine (RoutingMetrics).
    static let routeDecisions = Metric(
        "route_decisions", "total", .counter, "Routing decisions by the deployment chosen first and why.")
    static let breakerTransitions = Metric(
        "breaker_transitions", "total", .counter, "Circuit breaker transitions, by the state entered.")
    static let breakerState = Metric(
        "breaker_state", "code", .gauge, "Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 rate-limited.")
    static let providerCredentialFailures = Metric(
        "provider_credential_failures", "total", .counter, "Attempts the provider refused with 401/403.")
    static let breakerOpenings = Metric("breaker_openings", "total", .counter, "Circuit breaker openings, by reason.")
    static let hangSuspicions = Metric(
        "hang_suspicions", "total", .counter,
        "Times a deployment became suspect of hanging (no first token past its hang threshold).")
    static let hedges = Metric(
        "hedges", "total", .counter, "Hedged attempts by outcome: started, won (gave the first token), cancelled.")

    // Spend (SpendMetrics) and the request log's writer (RequestLogMetrics, only with `log.path`).
    static let cost = Metric("cost_usd", "total", .counter, "Spend in US dollars from the deployments' prices.")
    static let tokens = Metric(
        "tokens", "total", .counter, "Tokens billed, by kind (input, output, cache_read, cache_write, reasoning).")
    static let logQueueDepth = Metric("log_queue_depth", "rows", .gauge, "Request records waiting to be written.")
    static let logBatch = Metric("log_batch", "seconds", .histogram, "Time to commit one batch of request records.")
    static let logRowsWritten = Metric("log_rows_written", "total", .counter, "Request records committed.")
    static let logRowsDropped = Metric(
        "log_rows_dropped", "total", .counter, "Request records dropped because the writer's queue was full.")
    static let logBatchFailures = Metric("log_batch_failures", "total", .counter, "Batches that failed to commit (retried).")
    static let logRowsSpooled = Metric(
        "log_rows_spooled", "total", .counter,
        "Request records written to the local spool because PostgreSQL could not take them (postgres sink).")
    static let logSpoolRows = Metric(
        "log_spool", "rows", .gauge, "Request records waiting in the local spool for PostgreSQL (postgres sink).")

    // Resumable streams (ResumeMetrics).
    static let resumeStreams = Metric("resume_streams", "count", .gauge, "Answers buffered for their clients to resume.")
    static let resumeBytes = Metric("resume_buffer", "bytes", .gauge, "Bytes held by the resumable answers' buffers.")
    static let resumes = Metric("resumes", "total", .counter, "Times a client came back for a buffered answer.")
    static let resumeEvictions = Metric(
        "resume_evictions", "total", .counter, "Finished answers evicted before their retention ran out, to make room.")
    static let resumeUnbuffered = Metric(
        "resume_unbuffered", "total", .counter, "Answers served unbuffered because the buffers' total limit was reached.")
    static let resumeUnattendedCancellations = Metric(
        "resume_unattended_cancellations", "total", .counter,
        "Upstream answers cancelled after running max_unattended_ms with neither client nor reader.")

    // The response cache (CacheMetrics).
    static let cacheHits = Metric("cache_hits", "total", .counter, "Chat requests answered from the response cache.")
    static let cacheMisses = Metric(
        "cache_misses", "total", .counter, "Cacheable chat requests the cache could not answer (fetched from a provider).")
    static let cacheCoalesced = Metric(
        "cache_coalesced", "total", .counter, "Cacheable chat requests that followed an identical request's answer under way.")
    static let cacheEvictions = Metric(
        "cache_evictions", "total", .counter, "Cached answers evicted to make room in the memory tier (least recently used).")
    static let cacheEntries = Metric("cache_entries", "count", .gauge, "Answers held in the response cache's memory tier.")
    static let cacheBytes = Metric("cache", "bytes", .gauge, "Bytes held by the response cache's memory tier.")
    static let cacheRedisErrors = Metric(
        "cache_redis_errors", "total", .counter,
        "Redis commands of the response cache's shared tier that failed (each a miss or an answer not shared).")
    // Configuration reloads (ReloadMetrics).
    static let configReloads = Metric(
        "config_reloads", "total", .counter,
        "Configuration reloads (SIGHUP or POST /admin/reload) by outcome: applied, or refused (an invalid file; nothing changed).")
    static let configInfo = Metric(
        "config", "info", .gauge, "Always 1, labelled with the SHA-256 checksum of the configuration file in service.")
    static let configLoaded = Metric(
        "config_loaded", "timestamp_seconds", .gauge, "Unix time the configuration in service was loaded (start or last applied reload).")

    /// Every metric the router exports.
    public static let all: [Metric] = [
        requests, attemptFailures, streamInterruptions, timeToFirstToken, timeToFirstByte, requestDuration, clientStalls,
        requestsInFlight, ttftEstimate, nodeReady, clientRequests, clientTimeToFirstToken, geoipDatabaseBuild,
        connectionsRefused, connectionTimeouts, acceptErrors, clientConnections, probePhase, probes, probeLast,
        responsesTooLarge, routeDecisions, breakerTransitions, breakerState, providerCredentialFailures,
        breakerOpenings, hangSuspicions, hedges, cost, tokens, logQueueDepth, logBatch, logRowsWritten, logRowsDropped,
        logBatchFailures, logRowsSpooled, logSpoolRows, resumeStreams, resumeBytes, resumes, resumeEvictions,
        resumeUnbuffered, resumeUnattendedCancellations, cacheHits, cacheMisses, cacheCoalesced, cacheEvictions,
        cacheEntries, cacheBytes, cacheRedisErrors, configReloads, configInfo, configLoaded,
    ]

    /// Every series name Prometheus can store from this router (histograms through their three series).
    public static let seriesNames: Set<String> = Set(all.flatMap(\.seriesNames))
}
