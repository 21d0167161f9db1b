import CCurl
import Logging

/// The engine thread's event loop: drives every transfer through libcurl's multi
/// interface (`curl_multi_poll` → `curl_multi_perform` → `curl_multi_info_read`),
/// starts queued probes within the concurrency cap, enforces first-token deadlines and
/// applies cancellations.
///
/// Everything here runs on the engine thread and nowhere else; other threads only reach
/// it through the `Mailbox`. It owns the multi handle and, through `active`, every
/// running `Transfer` and so every easy handle.
final class EngineLoop {
    /// `curl_multi_poll` wait when nothing is due: long, because new work wakes the thread
    /// through `curl_multi_wakeup` and libcurl shortens the wait for its own timers.
    private static let idlePollMilliseconds: Int32 = 60_000

    private let multi: CurlMulti
    private let mailbox: Mailbox
    private let maxConcurrentTransfers: Int
    private let logger: Logger
    private let clock = ContinuousClock()
    /// Probes waiting for a free slot, in arrival order.
    private var pending: [Submission] = []
    /// Running probes. The only strong references to them; see `Transfer`.
    private var active: [ProbeID: Transfer] = [:]

    init(multi: CurlMulti, mailbox: Mailbox, maxConcurrentTransfers: Int, logger: Logger) {
        self.multi = multi
        self.mailbox = mailbox
        self.maxConcurrentTransfers = maxConcurrentTransfers
        self.logger = logger
    }

    /// Runs until shutdown is requested, then fails what is left and releases libcurl state.
    func run() {
        logger.debug("probe engine thread started")
        while true {
            let delivery = mailbox.take()
            pending.append(contentsOf: delivery.submissions)
            for id in delivery.cancellations {
                cancel(id)
            }
            if delivery.shutdownRequested { break }

            startPendingTransfers()
            logQueued(delivery.submissions)
            perform()
            enforceFirstTokenDeadlines()

            if !pending.isEmpty && active.count < maxConcurrentTransfers {
                // Transfers finished and freed slots: start the next ones without waiting.
                continue
            }
            let code = multi.poll(timeoutMilliseconds: pollTimeout())
            if code != CURLM_OK {
                // Only a failing poll(2) itself gets here (libcurl retries EINTR). Transfers keep
                // being driven by curl_multi_perform; the pause keeps a persistent failure from
                // turning this loop into a busy spin.
                logger.error("curl_multi_poll failed", metadata: ["curl.multi_error": "\(CurlMulti.describe(code))"])
                EngineThread.pause(milliseconds: 10)
            }
        }
        tearDown()
        logger.debug("probe engine thread stopped")
    }

    // MARK: Starting

    /// Starts queued probes while there are free slots. libcurl starts a transfer's clock
    /// in the first `curl_multi_perform` after it was added, and `run()` calls that right
    /// after this, so the start instants are taken only once every new handle has been
    /// set up and added: configuring a batch must not count toward its first probes' times.
    private func startPendingTransfers() {
        var started: [Transfer] = []
        while active.count < maxConcurrentTransfers, !pending.isEmpty {
            if let transfer = start(pending.removeFirst()) {
                started.append(transfer)
            }
        }
        for transfer in started {
            transfer.markStarted()
        }
    }

    /// Traces the newly arrived probes that have to wait for a free slot.
    private func logQueued(_ arrived: [Submission]) {
        guard logger.logLevel <= .trace, !pending.isEmpty else { return }
        for submission in arrived where pending.contains(where: { $0.id == submission.id }) {
            logger.trace("probe queued", metadata: [
                "probe.id": "\(submission.id.value)",
                "probe.target": "\(RedactedURL.origin(of: submission.request.url))",
                "probe.queue_depth": "\(pending.count)",
            ])
        }
    }

    /// Sets up the submission's transfer and adds it to the multi; on failure, fails the
    /// probe and returns `nil`.
    private func start(_ submission: Submission) -> Transfer? {
        let easy: CurlEasy
        do {
            easy = try CurlEasy.make()
        } catch {
            submission.fail(error)
            return nil
        }
        let transfer = Transfer(submission: submission, easy: easy)
        do {
            try transfer.configure()
        } catch {
            transfer.complete(.failure(error))
            return nil
        }
        let code = multi.add(easy)
        guard code == CURLM_OK else {
            transfer.complete(.failure(ProbeError(
                code: .internal, message: "libcurl could not add the transfer: \(CurlMulti.describe(code))")))
            return nil
        }
        active[transfer.id] = transfer
        logger.trace("probe started", metadata: ["probe.id": "\(transfer.id.value)", "probe.target": "\(RedactedURL.origin(of: transfer.request.url))"])
        return transfer
    }

    // MARK: Driving

    private func perform() {
        let code = multi.perform()
        if code != CURLM_OK {
            // Only misuse or out-of-memory get here; fail what is running rather than spin.
            let error = ProbeError(code: .internal, message: "curl_multi_perform failed: \(CurlMulti.describe(code))")
            logger.error("curl_multi_perform failed", metadata: ["curl.multi_error": "\(CurlMulti.describe(code))"])
            for transfer in Array(active.values) {
                detach(transfer)
                transfer.complete(.failure(error))
            }
            return
        }
        while let completion = multi.nextCompletion() {
            guard let transfer = transfer(for: completion.easy) else { continue }
            detach(transfer)
            finish(transfer, transfer.outcome(curlCode: completion.result))
        }
    }

    /// The running transfer that owns `easy`, found through `CURLOPT_PRIVATE`.
    private func transfer(for easy: UnsafeMutableRawPointer) -> Transfer? {
        var pointer: UnsafeMutableRawPointer? = nil
        guard ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &pointer) == CURLE_OK, let pointer else { return nil }
        // Unretained: `active` holds the reference; the lookup below confirms it is still there.
        let candidate = Unmanaged<Transfer>.fromOpaque(pointer).takeUnretainedValue()
        guard let transfer = active[candidate.id], transfer === candidate else { return nil }
        return transfer
    }

    private func enforceFirstTokenDeadlines() {
        let now = clock.now
        for transfer in Array(active.values) {
            guard let deadline = transfer.firstTokenDeadline, deadline <= now else { continue }
            detach(transfer)
            finish(transfer, transfer.outcome(engineStop: .firstTokenTimeout))
        }
    }

    /// How long `curl_multi_poll` may wait: until the nearest first-token deadline.
    private func pollTimeout() -> Int32 {
        let now = clock.now
        var timeout = Self.idlePollMilliseconds
        for transfer in active.values {
            guard let deadline = transfer.firstTokenDeadline else { continue }
            // Rounded up: waking a hair early would only cost another poll round.
            let milliseconds = Int32(clamping: (deadline - now).curlMilliseconds)
            timeout = min(timeout, deadline <= now ? 0 : milliseconds)
        }
        return timeout
    }

    // MARK: Stopping

    private func cancel(_ id: ProbeID) {
        if let index = pending.firstIndex(where: { $0.id == id }) {
            let submission = pending.remove(at: index)
            logger.debug("probe cancelled while queued", metadata: [
                "probe.id": "\(id.value)",
                "probe.target": "\(RedactedURL.origin(of: submission.request.url))",
            ])
            submission.fail(.probeCancelled)
        } else if let transfer = active[id] {
            detach(transfer)
            finish(transfer, transfer.outcome(engineStop: .cancelled))
        }
    }

    /// Removes the transfer's handle from the multi (no callbacks after this) and drops
    /// the engine's reference; the caller still holds one until it finishes the transfer.
    private func detach(_ transfer: Transfer) {
        multi.remove(transfer.easy)
        active[transfer.id] = nil
    }

    private func finish(_ transfer: Transfer, _ outcome: Result<ProbeResult, ProbeError>) {
        if logger.logLevel <= .debug {
            var metadata: Logger.Metadata = [
                "probe.id": "\(transfer.id.value)",
                "probe.target": "\(RedactedURL.origin(of: transfer.request.url))",
            ]
            switch outcome {
            case .success(let result):
                metadata["probe.status"] = "\(result.httpStatus.map(String.init) ?? "none")"
                metadata["probe.ttft"] = "\(result.timeToFirstToken.map { "\($0)" } ?? "none")"
                metadata["probe.total"] = "\(result.total)"
                metadata["probe.reused"] = "\(result.connectionReused)"
                if let error = result.error {
                    metadata["probe.error"] = "\(error)"
                }
            case .failure(let error):
                metadata["probe.error"] = "\(error)"
            }
            logger.debug("probe finished", metadata: metadata)
        }
        transfer.complete(outcome)
    }

    private func tearDown() {
        // Close the mailbox first: from here on no thread calls curl_multi_wakeup, so the
        // multi handle can be freed when this loop is released.
        let late = mailbox.close()
        for submission in pending + late {
            submission.fail(.engineShutDown)
        }
        pending.removeAll()
        for transfer in Array(active.values) {
            detach(transfer)
            finish(transfer, transfer.outcome(engineStop: .shutdown))
        }
    }
}
