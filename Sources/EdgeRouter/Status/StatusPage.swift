/// The status page and its login form as HTML, rendered on the server so that the page reads with JavaScript off.
/// Every value from outside (provider ids, model names, failure texts) is escaped here; the page's script builds
/// the same markup from each live snapshot with DOM text nodes, which need no escaping.
enum StatusPage {
    /// The page for `snapshot`; `nonce` admits its inline style and script under the Content-Security-Policy.
    static func page(_ snapshot: StatusSnapshot, nonce: String) -> String {
        var html = head(title: "EdgeRouter status", nonce: nonce)
        html += #"<body><header class="top"><h1>EdgeRouter status</h1>"#
        html += #"<span id="live" data-state="static">static</span>"#
        html += #"<form method="post" action="/status/logout"><button type="submit" id="logout">Log out</button></form></header>"#
        html += #"<section id="node">"# + node(snapshot) + legend + "</section>"
        html += #"<main id="models">"# + snapshot.models.map(model).joined() + "</main>"
        html += #"<script nonce="\#(nonce)">"# + StatusPageAssets.script + "</script></body></html>"
        return html
    }

    /// The login form, with `message` (a failed login's reason) above it.
    static func login(message: String?, nonce: String) -> String {
        var html = head(title: "EdgeRouter status: log in", nonce: nonce)
        html += #"<body><main class="login"><h1>EdgeRouter status</h1>"#
        if let message { html += #"<p class="error" role="alert">\#(HTMLText.escape(message))</p>"# }
        html += #"<form method="post" action="/status/login"><label for="key">Admin key</label>"#
        html += #"<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>"#
        html += #"<button type="submit" id="login">Log in</button></form>"#
        html += #"<p class="hint">Or send <code>Authorization: Bearer &lt;admin key&gt;</code>.</p></main></body></html>"#
        return html
    }

    private static func head(title: String, nonce: String) -> String {
        #"<!doctype html><html lang="en"><head><meta charset="utf-8">"#
            + #"<meta name="viewport" content="width=device-width, initial-scale=1">"#
            + "<title>\(HTMLText.escape(title))</title>"
            + #"<style nonce="\#(nonce)">"# + StatusPageAssets.style + "</style></head>"
    }

    /// What the charts' lines and the probe bars' colours mean (static: the live updates leave it alone).
    private static let legend: String = {
        let square = { (cls: String) in #"<svg viewBox="0 0 10 10" aria-hidden="true"><rect class="\#(cls)" width="10" height="10"></rect></svg>"# }
        let line = { (cls: String) in
            #"<svg viewBox="0 0 10 10" aria-hidden="true"><line class="line \#(cls)" x1="0" y1="5" x2="10" y2="5"></line></svg>"#
        }
        let items = [
            (line("expected"), "expected TTFT"), (line("p99"), "p99"), (square("open"), "breaker open"),
            (square("ph-dns"), "DNS"), (square("ph-connect"), "connect"), (square("ph-tls"), "TLS"),
            (square("ph-first_byte"), "to first byte"), (square("ph-first_token"), "to first token"),
        ]
        return #"<p class="legend">"# + items.map { "<span>\($0.0)\($0.1)</span>" }.joined() + "</p>"
    }()

    /// The response cache's hit ratio as a percentage, or a dash before any cacheable request.
    static func cacheRatio(_ node: NodeFacts) -> String {
        node.cacheHitRatio.map { HTMLText.format($0 * 100, places: 1) + " %" } ?? "–"
    }

    private static func node(_ snapshot: StatusSnapshot) -> String {
        let node = snapshot.node
        let checksum = node.configChecksum.map { String($0.prefix(16)) } ?? "–"
        let geoip = node.geoipDatabaseDate.map { date in node.geoipDatabaseType.map { "\(date) (\($0))" } ?? date } ?? "off"
        let facts: [(id: String, label: String, value: String, title: String?)] = [
            ("version", "version", node.version, nil),
            ("uptime", "uptime", HTMLText.uptime(node.uptimeSeconds), nil),
            ("region", "region", node.region ?? "–", nil),
            ("config", "config", checksum, node.configChecksum.map { "SHA-256 \($0)" }),
            ("geoip", "GeoIP database", geoip, nil),
            ("in-flight", "in flight", "\(node.requestsInFlight)", nil),
            ("hedge-budget", "hedge budget", HTMLText.format(node.hedgeBudgetAvailable, places: 1), nil),
            ("cache-hit-ratio", "cache hit ratio", Self.cacheRatio(node), "\(node.cacheHits) hits, \(node.cacheMisses) misses"),
            ("updated", "updated", snapshot.generatedAt, nil),
        ]
        return #"<dl class="facts">"#
            + facts.map { fact in
                let title = fact.title.map { #" title="\#(HTMLText.escape($0))""# } ?? ""
                return #"<div><dt>\#(fact.label)</dt><dd id="\#(fact.id)"\#(title)>\#(HTMLText.escape(fact.value))</dd></div>"#
            }.joined() + "</dl>"
    }

    private static func model(_ model: ModelStatus) -> String {
        let name = HTMLText.escape(model.name)
        let summary =
            "objective \(model.objective) · route \(model.routeReason) · hedges \(HTMLText.format(model.hedgesPerMinute, places: 1))/min"
            + " · failovers \(HTMLText.format(model.failoversPerMinute, places: 1))/min"
        return #"<section class="model" data-model="\#(name)"><h2>\#(name)</h2><p class="summary">\#(HTMLText.escape(summary))</p>"#
            + #"<div class="deployments">"# + model.deployments.map { deployment($0, model: model.name) }.joined() + "</div></section>"
    }

    private static func deployment(_ deployment: DeploymentStatus, model: String) -> String {
        let provider = HTMLText.escape(deployment.provider)
        var html = #"<article class="deployment" data-model="\#(HTMLText.escape(model))" data-provider="\#(provider)""#
        html += #" data-breaker="\#(HTMLText.escape(deployment.breaker))">"#
        html += #"<header><h3>\#(provider)</h3><span class="badge b-\#(HTMLText.escape(deployment.breaker))">"#
        html += HTMLText.escape(deployment.breaker.replacingOccurrences(of: "_", with: "-")) + "</span></header>"
        let rank = deployment.rank.map { "rank \($0)" } ?? "not ranked"
        let sub = [deployment.upstreamModel, deployment.region, deployment.dialect, rank].joined(separator: " · ")
        html += #"<p class="sub">\#(HTMLText.escape(sub))</p>"#
        if let reason = reasonText(deployment) { html += #"<p class="reason">\#(HTMLText.escape(reason))</p>"# }
        let share = deployment.trafficShare.map { "\(Int(($0 * 100).rounded())) %" } ?? "–"
        let numbers: [(String, String, String)] = [
            ("expected", "expected", HTMLText.milliseconds(deployment.expectedMs)),
            ("p50", "p50", HTMLText.milliseconds(deployment.p50Ms)),
            ("p90", "p90", HTMLText.milliseconds(deployment.p90Ms)),
            ("p99", "p99", HTMLText.milliseconds(deployment.p99Ms)),
            ("share", "share (1 min)", share),
            ("in-flight", "in flight", "\(deployment.inFlight)"),
            ("failovers", "failovers/min", HTMLText.format(deployment.failoversPerMinute, places: 1)),
            ("samples", "samples", "\(deployment.samples)"),
        ]
        html += #"<dl class="nums">"#
        html += numbers.map { #"<div><dt>\#($0.1)</dt><dd class="\#($0.0)">\#(HTMLText.escape($0.2))</dd></div>"# }.joined()
        html += "</dl>" + chart(deployment.chart) + probe(deployment.probe) + "</article>"
        return html
    }

    /// Why the breaker is not closed, when it is not, and the last failure. `status-page.js` has the same rule.
    static func reasonText(_ deployment: DeploymentStatus) -> String? {
        var parts: [String] = []
        if let reason = deployment.breakerReason { parts.append("reason: \(reason)") }
        if let retry = deployment.retryInMs { parts.append("next trial in \(HTMLText.milliseconds(Double(retry)))") }
        if deployment.suspect { parts.append("suspected of hanging") }
        if let failure = deployment.lastFailure { parts.append("last failure: \(failure)") }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }

    private static func chart(_ chart: StatusChart) -> String {
        var html = #"<svg class="chart" viewBox="0 0 \#(Int(StatusChart.width)) \#(Int(StatusChart.height))" preserveAspectRatio="none""#
        html += #" role="img" aria-label="TTFT over the last \#(chart.windowMinutes) minutes">"#
        for span in chart.open {
            html += #"<rect class="open" x="\#(span.x)" y="0" width="\#(span.width)" height="\#(Int(StatusChart.height))"></rect>"#
        }
        html += #"<polyline class="p99" points="\#(chart.p99)"></polyline><polyline class="expected" points="\#(chart.expected)"></polyline></svg>"#
        html += #"<p class="axis"><span>−\#(chart.windowMinutes) min</span><span class="max">top \#(HTMLText.milliseconds(chart.maxMs))"#
        html += #" · expected, p99</span><span>now</span></p>"#
        return html
    }

    private static func probe(_ probe: ProbeStatus?) -> String {
        guard let probe else { return #"<div class="probe"><p class="probe-text">no probe yet</p></div>"# }
        var html = #"<div class="probe"><svg class="phases" viewBox="0 0 100 4" preserveAspectRatio="none" role="img" aria-label="probe phases">"#
        for segment in probe.bar {
            html += #"<rect class="ph-\#(segment.phase)" x="\#(segment.x)" y="0" width="\#(segment.width)" height="4"></rect>"#
        }
        html += #"</svg><p class="probe-text">\#(HTMLText.escape(probeText(probe)))</p></div>"#
        return html
    }

    /// The probe's phases in words. `status-page.js` has the same rule.
    static func probeText(_ probe: ProbeStatus) -> String {
        var text = "probe \(probe.ageSeconds) s ago: DNS \(HTMLText.milliseconds(probe.dnsMs)) · connect \(HTMLText.milliseconds(probe.connectMs))"
        text += " · TLS \(probe.tlsMs > 0 ? HTMLText.milliseconds(probe.tlsMs) : "–") · first byte \(HTMLText.milliseconds(probe.firstByteMs))"
        text += " · first token \(HTMLText.milliseconds(probe.firstTokenMs))"
        if let status = probe.status { text += " · HTTP \(status)" }
        if let error = probe.error { text += " · \(error)" }
        return text
    }
}
