import Prometheus

/// The resumable streams' metrics: buffered answers and their bytes, resumes, evictions, answers served unbuffered
/// for lack of room, and upstream answers cancelled for having nobody attached.
struct ResumeMetrics: Sendable {
    private let streams: Gauge
    private let bytesHeld: Gauge
    private let resumeCount: Counter
    private let evictions: Counter
    private let unbuffered: Counter
    private let unattended: Counter

    init(registry: PrometheusCollectorRegistry) {
        streams = registry.makeGauge(descriptor: MetricNames.resumeStreams.descriptor)
        bytesHeld = registry.makeGauge(descriptor: MetricNames.resumeBytes.descriptor)
        resumeCount = registry.makeCounter(descriptor: MetricNames.resumes.descriptor)
        evictions = registry.makeCounter(descriptor: MetricNames.resumeEvictions.descriptor)
        unbuffered = registry.makeCounter(descriptor: MetricNames.resumeUnbuffered.descriptor)
        unattended = registry.makeCounter(descriptor: MetricNames.resumeUnattendedCancellations.descriptor)
    }

    func buffered(_ count: Int) { streams.set(Int64(count)) }
    func bytes(_ total: Int) { bytesHeld.set(Int64(total)) }
    func resumed() { resumeCount.increment() }
    func evicted() { evictions.increment() }
    func refused() { unbuffered.increment() }
    func unattendedCancelled() { unattended.increment() }
}
