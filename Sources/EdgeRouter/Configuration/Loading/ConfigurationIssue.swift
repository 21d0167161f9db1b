/// One mistake in a configuration file, located by its path (`models[2].deployments[0].provider`) and line.
public struct ConfigurationIssue: Sendable, Equatable, CustomStringConvertible {
    /// Where the mistake is, as a path of keys and indices from the document root.
    public var path: String
    /// The line in the file, when the YAML parser reported one.
    public var line: Int?
    /// What is wrong, in words a user can act on.
    public var message: String

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        let location = path.isEmpty ? "(document)" : path
        if let line { return "\(location) (line \(line)): \(message)" }
        return "\(location): \(message)"
    }
}

extension EdgeRouterError {
    /// The error for a configuration with these mistakes; the message lists them one per line.
    static func invalidConfiguration(_ issues: [ConfigurationIssue], file: String) -> EdgeRouterError {
        let lines = issues.map { "  - \($0)" }.joined(separator: "\n")
        var error = EdgeRouterError(
            .invalidConfiguration,
            "\(file): \(issues.count) configuration error\(issues.count == 1 ? "" : "s"):\n\(lines)"
        )
        error.configurationIssues = issues
        return error
    }
}
