extension CircuitBreaker {
    /// Where a breaker stands.
    public enum State: Sendable, Equatable {
        /// Calls go through and are counted.
        case closed
        /// No calls until `until` (nanoseconds); after that one trial (or a probe) decides.
        case open(until: UInt64, reason: Reason)
        /// One trial call may go; `trialInFlight` says whether it has been let through and not yet reported.
        case halfOpen(trialInFlight: Bool)
        /// The provider asked us to slow down (429): no calls until `until`. Not a failure of the deployment.
        case rateLimited(until: UInt64)
    }

    /// When a breaker in `state` lets a call through again, for logs: the end of an open or rate-limited
    /// state; nil for the others.
    public static func retryAt(of state: State) -> UInt64? {
        switch state {
        case .open(let until, _), .rateLimited(let until): until
        case .closed, .halfOpen: nil
        }
    }

    /// Why a breaker changed state (and, for ``State/open(until:reason:)``, why it is open).
    public enum Reason: String, Sendable, Equatable, CaseIterable {
        /// `consecutiveFailures` failures in a row.
        case consecutiveFailures
        /// The window's failure rate reached its threshold.
        case failureRate
        /// The window's slow-call rate reached its threshold.
        case slowCallRate
        /// The provider rejected our credentials (401/403).
        case credentialsRejected
        /// The provider answered 429.
        case rateLimited
        /// A rate limit ran out (reported by the next ``CircuitBreaker/record(_:now:)`` that notices it).
        case rateLimitEnded
        /// The half-open trial succeeded.
        case trialSucceeded
        /// The half-open trial failed.
        case trialFailed
        /// A background probe succeeded while a trial was due.
        case probeSucceeded
        /// A background probe failed while a trial was due.
        case probeFailed
        /// The deployment rejected as invalid (400/422) `misconfiguredRejections` requests in a row that another
        /// deployment then served: its own configuration is wrong (an upstream model name it does not know, say).
        case misconfigured
    }

    /// One change of state, for metrics and logs.
    public struct Transition: Sendable, Equatable {
        /// The state before.
        public var from: State
        /// The state after.
        public var to: State
        /// Why.
        public var reason: Reason

        /// A transition from `from` to `to` because of `reason`.
        public init(from: State, to: State, reason: Reason) {
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    /// What the owner of a breaker should do after recording an outcome.
    public enum Action: Sendable, Equatable {
        /// Nothing changed that anyone needs to hear about.
        case none
        /// The state changed: count it and log it.
        case transition(Transition)
        /// The provider rejected our credentials: a configuration problem. Log it loudly (error level), count it
        /// in its own metric, and apply the transition like any other.
        case credentialsRejected(Transition)

        /// The transition, whichever kind of action carries it.
        public var transition: Transition? {
            switch self {
            case .none: nil
            case .transition(let transition), .credentialsRejected(let transition): transition
            }
        }
    }

    /// Whether a deployment may take a call at some moment, without changing the breaker.
    public enum Availability: Sendable, Equatable {
        /// Calls go through.
        case available
        /// One trial call may go; the caller must claim it with ``CircuitBreaker/admit(now:)``.
        case trialAvailable
        /// No call before `until` (nanoseconds).
        case unavailable(until: UInt64)
    }

    /// The answer of ``CircuitBreaker/admit(now:)``.
    public enum Admission: Sendable, Equatable {
        /// Go ahead.
        case allowed
        /// Go ahead as the one half-open trial: report its outcome (or ``CircuitBreaker/releaseTrial()``).
        case trial
        /// Do not call; the breaker may let a call through from `retryAtNanos`.
        case rejected(retryAtNanos: UInt64)
    }

    /// What became of one call or probe.
    public enum CallOutcome: Sendable, Equatable {
        /// The first content token arrived after `ttftNanos`. `p90Nanos` is the deployment's own p90 estimate
        /// before this call, used by the slow-call rule (nil when unknown: the call is then not judged slow
        /// unless `slowCallThresholdNanos` is set).
        case success(ttftNanos: UInt64, p90Nanos: UInt64?)
        /// No first token: connection error, 5xx, the provider's own first-token timeout (or no token within the
        /// hang threshold, see ``HangDetection``), stream closed before a token, malformed stream. (A request the
        /// provider rejected as invalid, 400/413/422, is the client's fault: not reported, unless another
        /// deployment served it, see ``rejectedServedElsewhere``. A client's own deadline or departure is never
        /// reported.)
        case failure
        /// 429, with the provider's `Retry-After` in nanoseconds when it sent one. Not counted as a failure.
        case rateLimited(retryAfterNanos: UInt64?)
        /// 401 or 403.
        case credentialsRejected
        /// A background probe got its first token.
        case probeSuccess
        /// A background probe failed.
        case probeFailure
        /// The deployment rejected a request as invalid (400/422) that another deployment then served. Not a
        /// failure of availability: it stays out of the window and the failure streak, and counts toward the
        /// `misconfiguredRejections` rule only.
        case rejectedServedElsewhere
    }
}

extension CircuitBreaker.State {
    /// The state as metrics and logs name it (`closed`, `open`, `half_open`, `rate_limited`) and its code in the
    /// `edge_breaker_state` gauge (0 to 3).
    public var nameAndCode: (name: String, code: Int) {
        switch self {
        case .closed: ("closed", 0)
        case .open: ("open", 1)
        case .halfOpen: ("half_open", 2)
        case .rateLimited: ("rate_limited", 3)
        }
    }
}
