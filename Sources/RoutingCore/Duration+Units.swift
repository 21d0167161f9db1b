extension Duration {
    /// The duration in whole nanoseconds (saturating).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product &+ attoseconds / 1_000_000_000
    }

    /// The duration in milliseconds, as a Double, for headers and logs.
    public var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
}
