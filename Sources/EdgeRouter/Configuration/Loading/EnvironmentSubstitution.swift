import EdgeJSON
import Foundation

/// Replaces `${VAR}` and `${VAR:-default}` in configuration values from the environment, so that secrets such as
/// provider keys never have to sit in the file. `$$` stands for a literal `$`.
struct EnvironmentSubstitution: Sendable {
    /// Why a value could not be substituted.
    enum Failure: Error, Equatable {
        case unset(String)
        case malformed
    }

    let environment: [String: String]

    func substitute(_ value: String) throws(Failure) -> String {
        guard value.contains("$") else { return value }
        var output = ""
        var rest = Substring(value)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let afterDollar = rest.index(after: dollar)
            if afterDollar < rest.endIndex, rest[afterDollar] == "$" {
                output += "$"
                rest = rest[rest.index(after: afterDollar)...]
                continue
            }
            guard afterDollar < rest.endIndex, rest[afterDollar] == "{" else {
                output += "$"
                rest = rest[afterDollar...]
                continue
            }
            guard let close = rest[afterDollar...].firstIndex(of: "}") else { throw .malformed }
            let body = rest[rest.index(after: afterDollar)..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) else { throw .malformed }
            if let found = environment[String(name)], !found.isEmpty {
                output += found
            } else if let fallback {
                output += fallback
            } else {
                throw .unset(String(name))
            }
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return output
    }
}
