import Prometheus

extension MetricNameDescriptor {
    /// A metric of this router: `edge_<name>_<unit>`, with its help text.
    static func edge(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "edge", metricName: name, unitName: unit, helpText: help)
    }
}
