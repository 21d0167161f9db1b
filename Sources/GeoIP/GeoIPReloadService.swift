import ServiceLifecycle

/// A service that polls a ``GeoIPResolver``'s files and swaps in new ones.
///
/// Add it to the application's `ServiceGroup`. Every `pollInterval` it calls
/// ``GeoIPResolver/reloadIfChanged()``; it stops on graceful shutdown or cancellation.
/// With geolocation off it does nothing but wait for shutdown (returning early would make
/// the service group end the application).
public struct GeoIPReloadService: Service {
    /// The resolver whose files are watched.
    public let resolver: GeoIPResolver
    /// Time between two checks.
    public let pollInterval: Duration
    private let onOutcome: (@Sendable (ReloadOutcome) -> Void)?

    /// Creates the service.
    /// - Parameters:
    ///   - resolver: The resolver whose files are watched.
    ///   - pollInterval: Time between two checks. geoipupdate runs at most a few times a day,
    ///     so a minute is plenty; a check that finds nothing changed costs two `stat` calls.
    ///   - onOutcome: Called after every check (for metrics or tests); it runs on the service's task.
    public init(
        resolver: GeoIPResolver,
        pollInterval: Duration = .seconds(60),
        onOutcome: (@Sendable (ReloadOutcome) -> Void)? = nil
    ) {
        self.resolver = resolver
        self.pollInterval = pollInterval
        self.onOutcome = onOutcome
    }

    /// Polls until graceful shutdown or cancellation, then returns normally.
    public func run() async throws {
        guard resolver.isEnabled else {
            // Nothing to watch; a cancelled wait is an ordinary way to stop.
            try? await gracefulShutdown()
            return
        }
        let resolver = resolver
        let pollInterval = pollInterval
        let onOutcome = onOutcome
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: pollInterval)
                    let outcome = resolver.reloadIfChanged()
                    onOutcome?(outcome)
                }
            }
        } catch is CancellationError {
            // Graceful shutdown cancels the sleep; that is the normal end of this service.
        }
    }
}
