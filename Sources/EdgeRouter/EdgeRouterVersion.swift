/// The version of EdgeRouter, shown by `edge-router --version` and on the status page.
public enum EdgeRouterVersion {
    /// Semantic version of this source tree.
    public static let current = "0.9.0"
}
