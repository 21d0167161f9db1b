/// A deployment's history drawn in a `width` x `height` SVG box: expected TTFT and p99 as polylines over the
/// history window (now at the right edge) and the spans its breaker was open as shaded rectangles. Computed once
/// on the server, so that the rendered page and the live updates draw the same thing.
struct StatusChart: Sendable, Encodable {
    static let width = 300.0
    static let height = 64.0

    /// `x,y` pairs, space-separated: the `points` attribute of a polyline.
    var expected: String
    var p99: String
    /// Spans of the x axis where the breaker was open (or rate-limited).
    var open: [Span]
    /// The value at the top of the box, in milliseconds.
    var maxMs: Double
    /// Samples the chart is drawn from.
    var samples: Int
    /// Minutes the x axis spans.
    var windowMinutes: Int

    struct Span: Sendable, Encodable {
        var x: Double
        var width: Double
    }

    init(samples: [StatusSample], now: ContinuousClock.Instant, window: Duration) {
        let start = now - window
        func x(_ instant: ContinuousClock.Instant) -> Double {
            Self.rounded(max(0, min(1, (instant - start) / window)) * Self.width)
        }
        let shown = samples.filter { $0.at >= start }
        let top = shown.filter(\.hasEstimate).map { max($0.p99Nanos, $0.expectedNanos) }.max() ?? 0
        // A round number of milliseconds at the top, so that the axis label reads well.
        let maxMs = Self.niceCeiling(Double(top) / 1e6)
        func y(_ nanos: UInt64) -> Double {
            Self.rounded(Self.height - 2 - min(Double(nanos) / 1e6 / maxMs, 1) * (Self.height - 4))
        }
        let estimated = shown.filter(\.hasEstimate)
        expected = estimated.map { "\(x($0.at)),\(y($0.expectedNanos))" }.joined(separator: " ")
        p99 = estimated.map { "\(x($0.at)),\(y($0.p99Nanos))" }.joined(separator: " ")
        var spans: [Span] = []
        for (index, sample) in shown.enumerated() where sample.breakerCode == 1 || sample.breakerCode == 3 {
            let from = x(sample.at)
            let to = index + 1 < shown.count ? x(shown[index + 1].at) : Self.width
            if let last = spans.last, abs(last.x + last.width - from) < 0.01 {
                spans[spans.count - 1].width = Self.rounded(to - last.x)
            } else {
                spans.append(Span(x: from, width: Self.rounded(max(to - from, 1))))
            }
        }
        open = spans
        self.maxMs = maxMs
        self.samples = shown.count
        windowMinutes = Int((window / .seconds(60)).rounded())
    }

    /// The smallest of 1, 2, 2.5, 5 x 10^n at or above `value` (at least 1 ms).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 1 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 < value { magnitude *= 10 }
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    private static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
