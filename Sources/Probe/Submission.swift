/// Identifies one probe between the calling task and the engine thread.
struct ProbeID: Hashable, Sendable {
    let value: UInt64
}

/// How the engine thread reports back to the awaiting task. Failures here are the
/// "no measurement" errors (`cancelled`, `shutdown`, `invalidRequest`, `internal`);
/// provider failures travel inside the `ProbeResult`.
typealias ProbeContinuation = CheckedContinuation<Result<ProbeResult, ProbeError>, Never>

/// A probe handed to the engine thread and not started yet.
struct Submission: Sendable {
    let id: ProbeID
    let request: ProbeRequest
    let continuation: ProbeContinuation

    /// Resumes the awaiting task with a "no measurement" error.
    func fail(_ error: ProbeError) {
        continuation.resume(returning: .failure(error))
    }
}

extension ProbeError {
    /// The error for probes still queued or running when the engine shuts down.
    static let engineShutDown = ProbeError(code: .shutdown, message: "the probe engine was shut down before the probe finished")

    /// The error for probes whose awaiting task was cancelled.
    static let probeCancelled = ProbeError(code: .cancelled, message: "the probe was cancelled; its transfer was stopped")
}
