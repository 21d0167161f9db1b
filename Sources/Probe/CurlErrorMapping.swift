import CCurl

/// Turns a libcurl failure into a `ProbeError` with a code the router can act on and a
/// message that says what happened in plain words, followed by libcurl's own detail.
enum CurlErrorMapping {
    static func error(
        for code: CURLcode,
        detail rawDetail: String,
        phase: ProbePhase,
        request: ProbeRequest
    ) -> ProbeError {
        // The error buffer is more specific than curl_easy_strerror; it may echo the URL,
        // whose path or query may hold a key, so that is scrubbed.
        let detail = RedactedURL.scrub(rawDetail.isEmpty ? CurlEasy.describe(code) : rawDetail, url: request.url)
        let (kind, summary) = classify(code, phase: phase, timeouts: request.timeouts)
        return ProbeError(code: kind, message: "\(summary): \(detail)", phase: phase, curlCode: Int(code.rawValue))
    }

    private static func classify(_ code: CURLcode, phase: ProbePhase, timeouts: ProbeRequest.Timeouts) -> (ProbeError.Code, String) {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return (.dns, "could not resolve the host name")
        case CURLE_COULDNT_CONNECT:
            return (.connect, "could not connect to the server")
        case CURLE_PEER_FAILED_VERIFICATION:
            return (.tls, "TLS certificate verification failed: the server's certificate is not trusted or does not match the host")
        case CURLE_SSL_CACERT_BADFILE:
            return (.tls, "TLS setup failed: the CA bundle could not be loaded")
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_USE_SSL_FAILED,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            return (.tls, "TLS handshake failed")
        case CURLE_OPERATION_TIMEDOUT:
            let connecting = phase == .dns || phase == .connect || phase == .tls
            if connecting && timeouts.connect <= timeouts.total {
                return (.timeout, "connect timeout of \(timeouts.connect.curlMilliseconds) ms expired while \(phase)")
            }
            return (.timeout, "total timeout of \(timeouts.total.curlMilliseconds) ms expired while \(phase)")
        case CURLE_GOT_NOTHING:
            return (.protocol, "the server closed the connection without sending a response")
        case CURLE_PARTIAL_FILE:
            return (.protocol, "the server closed the connection before the response was complete")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR,
             CURLE_BAD_CONTENT_ENCODING, CURLE_TOO_MANY_REDIRECTS, CURLE_UNSUPPORTED_PROTOCOL:
            return (.protocol, "the response violated the HTTP protocol")
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            return (.network, "the connection failed while exchanging data")
        case CURLE_URL_MALFORMAT:
            return (.invalidRequest, "libcurl rejected the URL")
        default:
            return (.internal, "libcurl failed")
        }
    }
}
