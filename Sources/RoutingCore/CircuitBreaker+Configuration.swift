extension CircuitBreaker {
    /// When a ``CircuitBreaker`` opens and for how long. All durations are nanoseconds.
    ///
    /// The defaults adapt resilience4j, Hystrix and Envoy outlier detection to LLM routes: a small window (LLM
    /// calls are few and slow), a slow-call rule on time to first token, and short but doubling open times.
    public struct Configuration: Sendable, Equatable {
        /// Open after this many failures in a row. Default 5 (Envoy `consecutive_5xx`).
        public var consecutiveFailures: Int
        /// Size of the count-based window of recent calls, 1...64. Default 20.
        public var windowSize: Int
        /// Calls the window must hold before the rate rules apply. Default 20 (Hystrix's request volume; far
        /// below resilience4j's 100, which an LLM deployment may take minutes to reach).
        public var minimumCalls: Int
        /// Open when this share of the window failed. Default 0.5 (resilience4j, Hystrix).
        public var failureRateThreshold: Double
        /// Open when this share of the window was slow. Default 0.5 (resilience4j's slow-call rate).
        public var slowCallRateThreshold: Double
        /// A call is slow when its TTFT exceeds this multiple of the deployment's own p90 (given with each
        /// outcome). Default 3.
        public var slowCallMultiplier: Double
        /// A fixed slow-call threshold that, when set, replaces the multiple of p90. Default nil.
        public var slowCallThresholdNanos: UInt64?
        /// Open time of the first opening; each further opening without a recovery doubles it. Default 10 s (the
        /// low end of the 10-30 s advised for LLM routes; Hystrix sleeps 5 s, Envoy ejects for 30 s).
        public var baseOpenDuration: UInt64
        /// Cap of the doubling open time. Default 300 s (Envoy `max_ejection_time`).
        public var maxOpenDuration: UInt64
        /// Staying closed this long forgets past openings, so the next opening is short again. Default 10 min.
        public var recoveryResetInterval: UInt64
        /// How long a 429 without `Retry-After` rate-limits the deployment. Default 5 s.
        public var defaultRateLimitDuration: UInt64
        /// Cap on a provider's `Retry-After`, so one odd header cannot take a deployment out for a day.
        /// Default 300 s.
        public var maxRateLimitDuration: UInt64
        /// Open time after the provider rejected our credentials (401/403): a configuration problem that will not
        /// fix itself in seconds. Default 5 min.
        public var credentialsOpenDuration: UInt64
        /// A half-open trial with no reported outcome after this long is presumed lost (its request was
        /// cancelled, say) and another may go. Must exceed the first-token timeout. Default 60 s.
        public var trialTimeout: UInt64
        /// Open (reason ``Reason/misconfigured``) after this many requests in a row that the deployment rejected as
        /// invalid (400/422) and another deployment then served; 0 turns the rule off. Default 5, like
        /// `consecutiveFailures`: one odd request never ejects a deployment, a wrong upstream model name does
        /// within five requests.
        public var misconfiguredRejections: Int

        /// The defaults above, each overridable.
        public init(
            consecutiveFailures: Int = 5,
            windowSize: Int = 20,
            minimumCalls: Int = 20,
            failureRateThreshold: Double = 0.5,
            slowCallRateThreshold: Double = 0.5,
            slowCallMultiplier: Double = 3,
            slowCallThresholdNanos: UInt64? = nil,
            baseOpenDuration: UInt64 = 10 * RoutingTime.second,
            maxOpenDuration: UInt64 = 300 * RoutingTime.second,
            recoveryResetInterval: UInt64 = 600 * RoutingTime.second,
            defaultRateLimitDuration: UInt64 = 5 * RoutingTime.second,
            maxRateLimitDuration: UInt64 = 300 * RoutingTime.second,
            credentialsOpenDuration: UInt64 = 300 * RoutingTime.second,
            trialTimeout: UInt64 = 60 * RoutingTime.second,
            misconfiguredRejections: Int = 5
        ) {
            self.consecutiveFailures = consecutiveFailures
            self.windowSize = windowSize
            self.minimumCalls = minimumCalls
            self.failureRateThreshold = failureRateThreshold
            self.slowCallRateThreshold = slowCallRateThreshold
            self.slowCallMultiplier = slowCallMultiplier
            self.slowCallThresholdNanos = slowCallThresholdNanos
            self.baseOpenDuration = baseOpenDuration
            self.maxOpenDuration = maxOpenDuration
            self.recoveryResetInterval = recoveryResetInterval
            self.defaultRateLimitDuration = defaultRateLimitDuration
            self.maxRateLimitDuration = maxRateLimitDuration
            self.credentialsOpenDuration = credentialsOpenDuration
            self.trialTimeout = trialTimeout
            self.misconfiguredRejections = misconfiguredRejections
        }
    }
}
