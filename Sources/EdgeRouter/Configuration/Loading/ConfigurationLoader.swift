import Crypto
import Foundation
import Yams

/// Reads and validates an EdgeRouter configuration file into a ``RouterConfiguration``.
///
/// Every mistake is collected with its path in the file (`models[2].deployments[0].provider`) and reported at
/// once; `edge-router check` prints them and `serve` refuses to start on them, with the same messages.
public enum ConfigurationLoader {
    /// The environment variable naming the configuration file when `--config` is not given.
    public static let environmentVariable = "EDGE_ROUTER_CONFIG"
    /// The file used when neither `--config` nor the environment variable names one.
    public static let defaultPath = "edge-router.yaml"

    /// Loads the file at `path`.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(EdgeRouterError) -> RouterConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw .invalidConfiguration([ConfigurationIssue(path: "", message: "the file \(reason)")], file: path)
        }
        var configuration = try parse(yaml: String(decoding: data, as: UTF8.self), file: path, environment: environment)
        // Of the bytes on disk, not of the decoded text: `sha256sum` of the file gives the same value.
        configuration.checksum = checksum(of: data)
        return configuration
    }

    /// The lowercase hex SHA-256 of `bytes`.
    static func checksum(of bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]], as: UTF8.self)
        }.joined()
    }

    /// Parses configuration text; `file` only names it in messages.
    public static func parse(
        yaml: String,
        file: String = "configuration",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(EdgeRouterError) -> RouterConfiguration {
        let root: Node
        do {
            guard let parsed = try Yams.compose(yaml: yaml) else {
                throw EdgeRouterError.invalidConfiguration([.init(path: "", message: "the file is empty")], file: file)
            }
            root = parsed
        } catch let error as EdgeRouterError {
            throw error
        } catch {
            let issue = ConfigurationIssue(path: "", message: "not valid YAML: \(error)")
            throw .invalidConfiguration([issue], file: file)
        }
        let reader = YAMLReader(substitution: EnvironmentSubstitution(environment: environment))
        let configuration = ConfigurationBuilder(reader: reader).build(root)
        guard reader.issues.isEmpty, var configuration else {
            throw .invalidConfiguration(reader.issues, file: file)
        }
        configuration.checksum = checksum(of: Array(yaml.utf8))
        return configuration
    }
}
