/// A data-residency rule: clients from these countries or continents may only be served by providers whose
/// region label matches one of these patterns.
public struct ResidencyRule: Sendable, Equatable {
    /// The rule's name, quoted in errors, logs and the `x-edge-residency` header.
    public var name: String
    /// ISO 3166-1 country codes the rule applies to (upper case).
    public var countries: Set<String>
    /// Continent codes the rule applies to (`EU`, `NA`, `AS`, `AF`, `OC`, `SA`, `AN`).
    public var continents: Set<String>
    /// Glob patterns (`*`, `?`) on provider region labels that requests under this rule may go to.
    public var allowedRegions: [String]

    public init(name: String, countries: Set<String> = [], continents: Set<String> = [], allowedRegions: [String]) {
        self.name = name
        self.countries = countries
        self.continents = continents
        self.allowedRegions = allowedRegions
    }

    /// Whether the rule applies to a client in this country and continent. A rule that names neither countries
    /// nor continents applies to every client (useful as a gateway key's own rule).
    public func matches(country: String?, continent: String?) -> Bool {
        if countries.isEmpty && continents.isEmpty { return true }
        if let country, countries.contains(country) { return true }
        if let continent, continents.contains(continent) { return true }
        return false
    }

    /// Whether a provider in `region` may serve requests under this rule.
    public func allows(region: String) -> Bool {
        allowedRegions.contains { Self.glob($0, matches: region) }
    }

    /// Shell-style matching of `*` (any run) and `?` (any one character), case-sensitive.
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let text = Array(text.utf8)
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
