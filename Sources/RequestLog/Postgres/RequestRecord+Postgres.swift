import PostgresNIO

extension RequestRecord {
    /// Appends the record's values to `bindings`, in ``RequestLogSchema/columns`` order.
    func appendValues(to bindings: inout PostgresBindings) {
        bindings.append(requestID)
        bindings.append(receivedAtMs)
        bindings.append(keyID)
        bindings.append(dialect)
        bindings.append(endpoint)
        bindings.append(model)
        bindings.append(stream)
        bindings.append(provider)
        bindings.append(upstreamModel)
        bindings.append(region)
        bindings.append(attempts)
        bindings.append(Self.failuresJSON(failures))
        bindings.append(hedged)
        bindings.append(routeReason)
        bindings.append(ttftMs)
        bindings.append(firstByteMs)
        bindings.append(durationMs)
        bindings.append(status)
        bindings.append(errorType)
        bindings.append(tokens.input)
        bindings.append(tokens.output)
        bindings.append(tokens.cacheRead)
        bindings.append(tokens.cacheWrite)
        bindings.append(tokens.reasoning)
        bindings.append(usageEstimated)
        bindings.append(costUSD)
        bindings.append(country)
        bindings.append(asn)
        bindings.append(metadataJSON)
        bindings.append(resumes)
        bindings.append(cacheStatus)
        bindings.append(costSavedUSD)
        bindings.append(requestBody)
        bindings.append(responseBody)
    }

    /// A record from a row selected with ``PostgresRequestStore/selectColumns``.
    init(postgresRow row: PostgresRow) throws {
        let row = row.makeRandomAccess()
        func value<T: PostgresDecodable>(_ column: String, _ type: T.Type) throws -> T {
            try row[column].decode(T.self, context: .default)
        }
        self.init(
            requestID: try value("request_id", String.self), receivedAtMs: try value("received_at_ms", Int64.self),
            keyID: try value("key_id", String?.self), dialect: try value("dialect", String.self),
            endpoint: try value("endpoint", String.self), model: try value("model", String.self),
            stream: try value("stream", Bool.self), provider: try value("provider", String?.self),
            upstreamModel: try value("upstream_model", String?.self), region: try value("region", String?.self),
            attempts: try value("attempts", Int.self), failures: Self.failures(fromJSON: try value("failures", String.self)),
            hedged: try value("hedged", Bool.self), routeReason: try value("route_reason", String?.self),
            ttftMs: try value("ttft_ms", Double?.self), firstByteMs: try value("first_byte_ms", Double?.self),
            durationMs: try value("duration_ms", Double.self), status: try value("status", Int.self),
            errorType: try value("error_type", String?.self),
            tokens: Tokens(
                input: try value("input_tokens", Int.self), output: try value("output_tokens", Int.self),
                cacheRead: try value("cache_read_tokens", Int.self), cacheWrite: try value("cache_write_tokens", Int.self),
                reasoning: try value("reasoning_tokens", Int.self)),
            usageEstimated: try value("usage_estimated", Bool.self), costUSD: try value("cost_usd", Double.self),
            country: try value("country", String?.self), asn: try value("asn", Int?.self),
            metadataJSON: try value("metadata", String.self), resumes: try value("resumes", Int.self),
            cacheStatus: try value("cache_status", String?.self), costSavedUSD: try value("cost_saved_usd", Double.self),
            requestBody: try value("request_body", String?.self),
            responseBody: try value("response_body", String?.self))
    }
}
