import EdgeWire
import Foundation
import RoutingCore
import Yams

/// Reads a Cog deployment's `input` (the input template) and `chat_template`, reporting what cannot work: a
/// placeholder that does not exist, a value that is neither text nor a plain number or boolean, an unknown chat
/// template, or either key on a deployment whose provider is not `dialect: cog`.
struct CogInputBuilder {
    let reader: YAMLReader

    /// The deployment's ``CogInput``: nil for a provider of another dialect (where the keys are refused), the
    /// standard template when the keys are left out.
    func cogInput(
        input: (node: Node, path: String)?, chatTemplate: (node: Node, path: String)?, provider: Provider?
    ) -> CogInput? {
        guard let provider, provider.dialect == .cog else {
            for entry in [input, chatTemplate].compactMap({ $0 }) {
                reader.report(entry.path, entry.node, "only a deployment of a 'dialect: cog' provider takes this key")
            }
            return nil
        }
        var result = CogInput.standard
        if let chatTemplate, let name = reader.string(chatTemplate) {
            if CogChatTemplate(rawValue: name) == nil {
                let known = CogChatTemplate.allCases.map(\.rawValue).joined(separator: ", ")
                reader.report(chatTemplate.path, chatTemplate.node, "unknown chat template '\(name)' (known: \(known))")
            } else {
                result.chatTemplate = name
            }
        }
        guard let input else { return result }
        guard case .mapping(let mapping) = input.node else {
            reader.report(input.path, input.node, "expected a mapping of the predictor's input names to values")
            return result
        }
        var fields: [CogInputField] = []
        for (keyNode, value) in mapping {
            guard let name = keyNode.string, !name.isEmpty else {
                reader.report(input.path, keyNode, "keys must be strings")
                continue
            }
            let path = "\(input.path).\(name)"
            guard case .scalar(let scalar) = value else {
                reader.report(path, value, "expected text with {{placeholders}}, a number or a boolean")
                continue
            }
            if scalar.style == .plain, let literal = Self.jsonLiteral(scalar.string) {
                fields.append(CogInputField(name: name, value: .literal(literal)))
                continue
            }
            guard let text = reader.string((value, path)) else { continue }
            for unknown in CogTemplateText.unknownPlaceholders(in: text) {
                let known = CogTemplateText.names.map { "{{\($0)}}" }.joined(separator: ", ")
                reader.report(path, value, "unknown placeholder '{{\(unknown)}}' (known: \(known))")
            }
            fields.append(CogInputField(name: name, value: .template(text)))
        }
        var usesPlaceholder = false
        for field in fields {
            if case .template(let text) = field.value, text.contains("{{") { usesPlaceholder = true }
        }
        if !usesPlaceholder {
            reader.report(input.path, input.node, "the input template uses no placeholder: every request would send the same input")
        }
        result.fields = fields
        return result
    }

    /// A plain YAML scalar that is a JSON number or boolean, as JSON text; nil for anything else (text).
    static func jsonLiteral(_ text: String) -> String? {
        switch text {
        case "true", "false": return text
        default: break
        }
        // Only numbers that are already valid JSON: no `0x10`, `.5`, `1_000` or `inf`.
        guard let first = text.first, first == "-" || first.isNumber, let value = Double(text), value.isFinite else { return nil }
        let allowed = Set("0123456789-+.eE")
        guard text.allSatisfy({ allowed.contains($0) }), !text.hasPrefix("."), !text.hasSuffix("."), !text.contains("-.") else {
            return nil
        }
        return text
    }
}
