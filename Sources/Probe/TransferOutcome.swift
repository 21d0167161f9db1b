import CCurl

/// Why the engine stopped a transfer itself, rather than libcurl finishing it.
enum EngineStop {
    /// The first-token timeout expired.
    case firstTokenTimeout
    /// The awaiting task was cancelled.
    case cancelled
    /// The engine is shutting down.
    case shutdown
}

extension Transfer {
    /// The outcome of a transfer libcurl reported as done with `code`. Call after the
    /// handle was removed from the multi.
    func outcome(curlCode code: CURLcode) -> Result<ProbeResult, ProbeError> {
        let metrics = TransferMetrics(easy)
        let phase = metrics.phase(isHTTPS: request.isHTTPS, responseStarted: responseStarted, tokenSeen: timeToFirstToken != nil)
        let total = Duration.curlMicroseconds(metrics.total)

        switch callbackStop {
        case .firstTokenSeen:
            // The write callback stopped the transfer on purpose; libcurl calls that a write error.
            return .success(result(metrics, total: total, stopped: true, error: nil))
        case .streamFailed(let message):
            let error = ProbeError(code: .stream, message: "the response stream reported an error: \(message)", phase: phase)
            return .success(result(metrics, total: total, stopped: false, error: error))
        case nil:
            break
        }

        if metrics.status != 0 && !Self.isSuccessStatus(metrics.status) {
            // A non-2xx answer is the provider's verdict even if the body then broke off.
            return .success(result(metrics, total: total, stopped: false, error: httpStatusError(metrics.status, phase: phase)))
        }
        if code == CURLE_OK {
            guard timeToFirstToken != nil else {
                let error = ProbeError(
                    code: .protocol,
                    message: "the response (HTTP \(metrics.status)) ended without a first content token",
                    phase: .firstToken
                )
                return .success(result(metrics, total: total, stopped: false, error: error))
            }
            return .success(result(metrics, total: total, stopped: false, error: nil))
        }

        let error = CurlErrorMapping.error(for: code, detail: easy.errorDetail, phase: phase, request: request)
        if error.code == .invalidRequest || error.code == .internal {
            // Nothing was measured about the provider.
            return .failure(error)
        }
        return .success(result(metrics, total: total, stopped: false, error: error))
    }

    /// The outcome of a transfer the engine stopped. Call after the handle was removed.
    func outcome(engineStop reason: EngineStop) -> Result<ProbeResult, ProbeError> {
        switch reason {
        case .cancelled:
            return .failure(.probeCancelled)
        case .shutdown:
            return .failure(.engineShutDown)
        case .firstTokenTimeout:
            let metrics = TransferMetrics(easy)
            let phase = metrics.phase(isHTTPS: request.isHTTPS, responseStarted: responseStarted, tokenSeen: false)
            let limit = request.timeouts.firstToken.curlMilliseconds
            let error = ProbeError(
                code: .timeout,
                message: "first-token timeout of \(limit) ms expired while \(phase); the transfer was stopped",
                phase: phase
            )
            // libcurl's total time is only refreshed as the transfer progresses, so a stalled
            // transfer's total comes from the engine's clock.
            return .success(result(metrics, total: elapsed, stopped: false, error: error))
        }
    }

    private func httpStatusError(_ status: Int, phase: ProbePhase) -> ProbeError {
        let prefix = errorBodyPrefix.isEmpty ? nil : String(decoding: errorBodyPrefix, as: UTF8.self)
        return ProbeError(
            code: .httpStatus,
            message: "the server answered HTTP \(status)",
            phase: phase,
            httpStatus: status,
            responseBodyPrefix: prefix
        )
    }

    private func result(_ metrics: TransferMetrics, total: Duration, stopped: Bool, error: ProbeError?) -> ProbeResult {
        // A reused connection skipped DNS, connect and TLS; libcurl still reports the few
        // microseconds it took to pick the connection as "name lookup", which is not one.
        let reused = metrics.connectionReused
        let dns = reused ? 0 : metrics.nameLookup
        let tcp = !reused && metrics.connect > 0 ? metrics.connect - metrics.nameLookup : 0
        let tls = !reused && metrics.appConnect > 0 && metrics.connect > 0 ? metrics.appConnect - metrics.connect : 0
        let firstByte = responseStarted && metrics.startTransfer > 0 ? Duration.curlMicroseconds(metrics.startTransfer) : nil
        // libcurl's clock starts a few microseconds after the engine's, so clamp to keep
        // the obvious ordering first byte ≤ first token ≤ total.
        let ordered = [total, firstByte ?? .zero, timeToFirstToken ?? .zero].max() ?? total
        return ProbeResult(
            httpStatus: metrics.status == 0 ? nil : metrics.status,
            dns: .curlMicroseconds(dns),
            tcpConnect: .curlMicroseconds(tcp),
            tlsHandshake: .curlMicroseconds(tls),
            timeToFirstByte: firstByte,
            timeToFirstToken: timeToFirstToken,
            total: ordered,
            connectionReused: reused,
            httpVersion: metrics.negotiatedVersion,
            bytesReceived: metrics.bytesReceived,
            stoppedAfterFirstToken: stopped,
            error: error
        )
    }
}
