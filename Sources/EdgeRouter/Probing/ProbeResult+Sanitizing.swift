import Probe

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
