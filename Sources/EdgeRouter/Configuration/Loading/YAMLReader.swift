import Foundation
import RoutingCore
import Yams

/// Walks a parsed YAML document by path, collecting every mistake instead of stopping at the first, so that
/// `edge-router check` can report them all with their paths in the file.
final class YAMLReader {
    private(set) var issues: [ConfigurationIssue] = []
    let substitution: EnvironmentSubstitution

    init(substitution: EnvironmentSubstitution) {
        self.substitution = substitution
    }

    func report(_ path: String, _ node: Node?, _ message: String) {
        issues.append(ConfigurationIssue(path: path, line: node?.mark?.line, message: message))
    }

    /// The entries of a mapping, reporting keys that are not in `allowed` (typos must not pass silently).
    func mapping(_ node: Node, at path: String, allowed: Set<String>) -> [String: (node: Node, path: String)]? {
        guard case .mapping(let mapping) = node else {
            report(path, node, "expected a mapping")
            return nil
        }
        var entries: [String: (node: Node, path: String)] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                report(path, keyNode, "keys must be strings")
                continue
            }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                let known = allowed.sorted().joined(separator: ", ")
                report(childPath, keyNode, "unknown field '\(key)' (known: \(known))")
                continue
            }
            entries[key] = (value, childPath)
        }
        return entries
    }

    func sequence(_ entry: (node: Node, path: String)?) -> [(node: Node, path: String)] {
        guard let entry else { return [] }
        guard case .sequence(let sequence) = entry.node else {
            report(entry.path, entry.node, "expected a list")
            return []
        }
        return sequence.enumerated().map { ($0.element, "\(entry.path)[\($0.offset)]") }
    }

    /// A string value with `${VAR}` substituted; reports a missing required value.
    func string(_ entry: (node: Node, path: String)?, required path: String? = nil) -> String? {
        guard let entry else {
            if let path { report(path, nil, "missing required field") }
            return nil
        }
        guard case .scalar(let scalar) = entry.node else {
            report(entry.path, entry.node, "expected a string")
            return nil
        }
        do {
            return try substitution.substitute(scalar.string)
        } catch .unset(let name) {
            report(entry.path, entry.node, "environment variable \(name) is not set")
        } catch {
            report(entry.path, entry.node, "malformed ${...} reference")
        }
        return nil
    }

    func int(_ entry: (node: Node, path: String)?, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let entry else { return value }
        guard let text = string(entry) else { return value }
        guard let parsed = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(parsed) else {
            report(entry.path, entry.node, "expected a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
            return value
        }
        return parsed
    }

    func double(_ entry: (node: Node, path: String)?, default value: Double, minimum: Double = 0) -> Double {
        guard let entry else { return value }
        guard let text = string(entry) else { return value }
        guard let parsed = Double(text), parsed.isFinite, parsed >= minimum else {
            report(entry.path, entry.node, "expected a number of at least \(minimum), got '\(text)'")
            return value
        }
        return parsed
    }

    func milliseconds(_ entry: (node: Node, path: String)?, default value: Duration) -> Duration {
        guard let entry else { return value }
        let millis = int(entry, default: -1, range: 1...86_400_000)
        return millis > 0 ? .milliseconds(millis) : value
    }

    func stringList(_ entry: (node: Node, path: String)?) -> [String]? {
        guard let entry else { return nil }
        return sequence(entry).compactMap { string($0) }
    }

    func stringMap(_ entry: (node: Node, path: String)?) -> [(name: String, value: String)] {
        guard let entry else { return [] }
        guard case .mapping(let mapping) = entry.node else {
            report(entry.path, entry.node, "expected a mapping of names to values")
            return []
        }
        return mapping.compactMap { key, value in
            guard let name = key.string else { return nil }
            guard let resolved = string((value, "\(entry.path).\(name)")) else { return nil }
            return (name, resolved)
        }
    }
}
