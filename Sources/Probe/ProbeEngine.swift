import Logging

/// Measures LLM providers' time to first token, with network phase timings, using
/// libcurl's multi interface.
///
/// Threads: one dedicated OS thread per engine runs libcurl for all probes at once, so
/// the number of threads does not grow with the number of probes, and no libcurl call
/// ever blocks Swift's cooperative thread pool. Callers hand probes over through a
/// mutex-guarded mailbox and `curl_multi_wakeup`; results come back through
/// continuations.
///
/// Lifetime: call `shutdown()` when done. It is idempotent, fails probes that are still
/// queued or running with a `shutdown` error, and returns once the engine thread has
/// exited, suspending the caller meanwhile rather than blocking its thread (an event loop,
/// say). Releasing the engine without it stops the thread too, without waiting for it.
///
/// Note that with host names (rather than IP literals) libcurl's threaded resolver runs
/// each DNS lookup on a short-lived thread of its own.
public final class ProbeEngine: Sendable {
    /// Engine-wide settings.
    public struct Configuration: Sendable, Hashable {
        /// The most transfers running at once; further probes wait in a queue, in order.
        public var maxConcurrentTransfers: Int
        /// Idle connections kept for reuse (`CURLMOPT_MAXCONNECTS`); `nil` for libcurl's default.
        public var maxCachedConnections: Int?
        /// The engine thread's name (at most 15 bytes are used).
        public var threadName: String

        /// Creates a configuration.
        public init(maxConcurrentTransfers: Int = 64, maxCachedConnections: Int? = nil, threadName: String = "probe-engine") {
            self.maxConcurrentTransfers = maxConcurrentTransfers
            self.maxCachedConnections = maxCachedConnections
            self.threadName = threadName
        }
    }

    private let mailbox: Mailbox
    private let thread: EngineThread

    /// Initialises libcurl (once per process) and starts the engine thread.
    /// - Throws: `ProbeError.Code.invalidRequest` for a non-positive `maxConcurrentTransfers`
    ///   or `maxCachedConnections`; `ProbeError.Code.internal` if libcurl or the thread
    ///   could not be set up.
    public init(
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "EdgeRouter.Probe")
    ) throws(ProbeError) {
        guard configuration.maxConcurrentTransfers > 0 else {
            throw ProbeError(code: .invalidRequest, message: "maxConcurrentTransfers must be positive")
        }
        if let cached = configuration.maxCachedConnections, cached <= 0 {
            throw ProbeError(code: .invalidRequest, message: "maxCachedConnections must be positive")
        }
        try CurlGlobal.ensureInitialized()
        let multi = try CurlMulti.make(maxCachedConnections: configuration.maxCachedConnections)
        let mailbox = Mailbox(wakeup: multi.wakeup)
        // The loop (and with it the multi handle) is handed to the engine thread and never
        // touched from this one again.
        let loop = EngineLoop(
            multi: multi,
            mailbox: mailbox,
            maxConcurrentTransfers: configuration.maxConcurrentTransfers,
            logger: logger
        )
        self.mailbox = mailbox
        self.thread = try EngineThread.spawn(name: configuration.threadName) { loop.run() }
    }

    deinit {
        // Nothing to wait for: the detached thread fails what is left, frees libcurl's state and exits on its own.
        mailbox.requestShutdown()
    }

    /// Runs one probe and returns its measurements.
    ///
    /// A provider failure (DNS, connect, TLS, timeout, non-2xx status, broken stream...)
    /// is not thrown: it is reported in `ProbeResult.error`, alongside the timings measured
    /// up to that point. This method throws only when no measurement was made.
    ///
    /// Cancelling the calling task stops the transfer promptly (its handle is removed from
    /// libcurl, closing a fresh connection) and throws a `cancelled` error.
    ///
    /// - Throws: `ProbeError` with code `invalidRequest` (the request failed validation),
    ///   `cancelled`, `shutdown` (the engine was or is being shut down) or `internal`.
    public func probe(_ request: ProbeRequest) async throws(ProbeError) -> ProbeResult {
        try request.validate()
        if Task.isCancelled { throw .probeCancelled }
        let mailbox = self.mailbox
        let id = mailbox.makeID()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: ProbeContinuation) in
                let submission = Submission(id: id, request: request, continuation: continuation)
                guard mailbox.submit(submission) else {
                    submission.fail(.engineShutDown)
                    return
                }
                // If the task was cancelled before the submission was queued, the handler's
                // cancel message may have reached the engine first and been ignored; this one
                // arrives after the submission.
                if Task.isCancelled { mailbox.cancel(id) }
            }
        } onCancel: {
            mailbox.cancel(id)
        }
        return try outcome.get()
    }

    /// Stops the engine: fails queued and running probes with a `shutdown` error, closes
    /// libcurl's connections and waits for the engine thread to exit. Idempotent; later
    /// probes fail with `shutdown` at once.
    ///
    /// The wait suspends the calling task and blocks no thread: the engine thread resumes it
    /// as its last act. So it is safe from a task on an event loop's executor, or on the
    /// cooperative pool when NIO runs Swift's global executor, whose threads also serve
    /// connections.
    public func shutdown() async {
        mailbox.requestShutdown()
        await thread.exited()
    }
}
