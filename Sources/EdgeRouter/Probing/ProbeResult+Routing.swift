import Probe
import RoutingCore

extension UpstreamErrorText {
    /// `result` with its error message sanitized: a probe's error quotes the provider (the start of its error
    /// body, its stream's error event), which may echo our key, on its way to `/admin/routes` and
    /// `edge-router check`.
    func sanitizing(_ result: ProbeResult) -> ProbeResult {
        guard var error = result.error else { return result }
        var result = result
        error.message = sanitize(error.message)
        result.error = error
        return result
    }
}

extension ProbeResult {
    /// What the routing engine learns from this probe: a first token's time, or the failure.
    var outcome: ProbeOutcome {
        if isSuccess, let ttft = timeToFirstToken { return .firstToken(ttft) }
        return .failed(httpStatus: httpStatus, message: error?.message ?? "no first token")
    }
}
