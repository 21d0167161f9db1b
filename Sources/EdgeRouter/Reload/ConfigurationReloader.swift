import Logging
import RoutingCore
import Synchronization

/// Reloads the configuration file into a running router (SIGHUP, `POST /admin/reload`): reads and validates it
/// exactly as `edge-router check` does, then swaps in one new ``ServingState`` and routing snapshot.
///
/// - An invalid (or unreadable) file is refused with the errors `check` prints, logged, counted, and changes
///   nothing.
/// - A valid one replaces the catalog (models, deployments, providers, prices), the gateway and admin keys, the
///   request settings (`server.request_timeout_ms`, `max_attempts`, `max_response_bytes`), the routing settings and
///   the residency rules and fleet, at once: a request sees the old state or the new one, never a mix, and keeps
///   the one it started with to its end.
/// - A deployment is identified by model name, provider id and upstream model (``Deployment/key``): a kept one keeps
///   its estimate and breaker state, a new one starts cold, a removed one drains (its in-flight requests finish on
///   the old state; its probes and metric updates stop).
/// - Restart-only settings (``RestartOnlySettings``) keep their running values and are reported.
/// - When the admin keys change, every status page session ends (its browser logs in again).
///
/// Reloads run one at a time.
final class ConfigurationReloader: Sendable {
    /// Reads and validates the file; the errors are `check`'s.
    typealias Source = @Sendable () throws(EdgeRouterError) -> RouterConfiguration

    private let source: Source
    private let live: LiveState
    private let engine: RoutingEngine
    private let metrics: RouterMetrics
    private let accounting: Accounting
    private let probes: ProbeScheduler?
    private let status: StatusBoard
    private let sessions: StatusSessions
    private let logger: Logger
    /// Held for a whole reload, so that two never interleave (one of them would publish a state built on a
    /// snapshot the other replaced).
    private let serial = Mutex<Void>(())

    init(
        source: @escaping Source, live: LiveState, engine: RoutingEngine, metrics: RouterMetrics, accounting: Accounting,
        probes: ProbeScheduler?, status: StatusBoard, sessions: StatusSessions, logger: Logger
    ) {
        self.source = source
        self.live = live
        self.engine = engine
        self.metrics = metrics
        self.accounting = accounting
        self.probes = probes
        self.status = status
        self.sessions = sessions
        self.logger = logger
    }

    /// Reloads the file; `trigger` (`sighup`, `admin`) only goes to the log line.
    func reload(trigger: String) -> Result<ReloadReport, EdgeRouterError> {
        serial.withLock { _ in apply(trigger: trigger) }
    }

    private func apply(trigger: String) -> Result<ReloadReport, EdgeRouterError> {
        let running = live.load()
        let loaded: RouterConfiguration
        do {
            loaded = try source()
        } catch {
            metrics.reloads.refusedReload()
            logger.error(
                "configuration reload refused: the file is invalid; nothing changed",
                metadata: [
                    "trigger": "\(trigger)", "config_checksum": "\(running.configuration.checksum ?? "none")",
                    "errors": "\(error.message)",
                ])
            return .failure(error)
        }
        let old = running.configuration
        let served = RestartOnlySettings.keeping(old, in: loaded)
        let needsRestart = RestartOnlySettings.changed(running: old, loaded: loaded)
        let (snapshot, change) = engine.prepare(served.models, settings: served.routing)

        // New deployments' series first, so that the first request to reach one finds them.
        metrics.follow(served.models, dropping: false)
        accounting.follow(served.models, dropping: false)
        let state = ServingState(
            configuration: served, clients: running.clients.replacing(providers: served.providers),
            locator: running.locator.replacing(rulesAndFleetOf: served.geo), routing: snapshot)
        live.publish(state)
        engine.publish(snapshot)
        // Removed deployments' series are no longer updated; the status page and probes follow the new set.
        metrics.follow(served.models, dropping: true)
        accounting.follow(served.models, dropping: true)
        status.follow(deploymentKeys: served.models.flatMap { $0.deployments.map(\.key) })
        let previous = running.routing.runtimes
        let started = snapshot.runtimes.values.filter { previous[$0.deployment.key] !== $0 }
        probes?.follow(added: started, models: served.models, providers: served.providers)
        loadBudgets(of: served.keys, previous: old.keys)
        // Status page sessions were opened with an admin key the new file may no longer have.
        let adminKeysChanged = served.adminKeys.secretHashes != old.adminKeys.secretHashes
        if adminKeysChanged { sessions.revokeAll() }

        metrics.reloads.loaded(checksum: served.checksum, applied: true)
        let report = ReloadReport(
            checksum: served.checksum, previousChecksum: old.checksum, added: change.added.map(Self.label),
            removed: change.removed.map(Self.label), kept: change.kept.count, needsRestart: needsRestart)
        var metadata: Logger.Metadata = [
            "trigger": "\(trigger)", "config_checksum": "\(served.checksum ?? "none")",
            "previous_checksum": "\(old.checksum ?? "none")", "deployments_added": "\(change.added.count)",
            "deployments_removed": "\(change.removed.count)", "deployments_kept": "\(change.kept.count)",
        ]
        if adminKeysChanged { metadata["status_sessions"] = "revoked (admin keys changed)" }
        if !needsRestart.isEmpty { metadata["needs_restart"] = "\(needsRestart.joined(separator: "; "))" }
        logger.notice("configuration reloaded", metadata: metadata)
        return .success(report)
    }

    /// Keys that gained a budget start from the spend the request log holds for them, as at start.
    private func loadBudgets(of keys: KeyRing, previous: KeyRing) {
        let budgetedBefore = Set(previous.keys.filter { $0.budget != nil }.map(\.id))
        let newlyBudgeted = keys.keys.filter { $0.budget != nil && !budgetedBefore.contains($0.id) }
        guard !newlyBudgeted.isEmpty else { return }
        let accounting = self.accounting
        Task { await accounting.loadSpend(keys: newlyBudgeted) }
    }

    /// `model provider/upstream-model`, from a ``Deployment/key``.
    static func label(_ key: String) -> String {
        let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return key }
        return "\(parts[0]) \(parts[1])/\(parts[2])"
    }
}
