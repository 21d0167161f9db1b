/// The status page's inline style and script, in the binary: the page loads nothing from anywhere else, and the
/// Content-Security-Policy admits these two by nonce and nothing more.
enum StatusPageAssets {
    /// Responsive: deployment cards in as many columns as fit, one on a phone.
    static let style = """
        :root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--muted:#5f6b7a;--line:#d9dee5;\
        --ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--exp:#0969da;--tail:#8250df}
        @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--ink:#e6edf3;--muted:#8d96a0;--line:#30363d;\
        --ok:#3fb950;--bad:#f85149;--warn:#d29922;--exp:#58a6ff;--tail:#bc8cff}}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
        .top{display:flex;align-items:center;gap:.75rem;flex-wrap:wrap;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--card)}
        .top h1{font-size:1.1rem;margin:0;flex:1}
        .top form{margin:0}
        button{font:inherit;padding:.35rem .8rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--ink);cursor:pointer}
        #live{font-size:.8rem;padding:.1rem .5rem;border-radius:999px;border:1px solid var(--line);color:var(--muted)}
        #live[data-state=live]{color:var(--ok);border-color:var(--ok)}
        #live[data-state=off]{color:var(--warn);border-color:var(--warn)}
        #node,#models{padding:0 1rem}
        .facts{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem;margin:.75rem 0}
        .facts div,.nums div{min-width:0}
        dt{color:var(--muted);font-size:.75rem}
        dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
        .model h2{font-size:1rem;margin:1.25rem 0 0}
        .summary{color:var(--muted);margin:.1rem 0 .5rem}
        .deployments{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(300px,100%),1fr));gap:.75rem}
        .deployment{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.75rem;min-width:0}
        .deployment[data-breaker=open],.deployment[data-breaker=rate_limited]{border-color:var(--bad)}
        .deployment header{display:flex;align-items:center;justify-content:space-between;gap:.5rem}
        .deployment h3{margin:0;font-size:.95rem;overflow-wrap:anywhere}
        .sub,.reason,.axis,.probe-text{margin:.2rem 0;color:var(--muted);font-size:.8rem;overflow-wrap:anywhere}
        .reason{color:var(--bad)}
        .badge{font-size:.75rem;padding:.05rem .5rem;border-radius:999px;border:1px solid currentColor;white-space:nowrap}
        .b-closed{color:var(--ok)}.b-open{color:var(--bad)}.b-half_open,.b-rate_limited{color:var(--warn)}
        .nums{display:grid;grid-template-columns:repeat(auto-fill,minmax(5.2rem,1fr));gap:.35rem .5rem;margin:.5rem 0}
        .nums dt,.nums dd{white-space:nowrap}
        .chart{display:block;width:100%;height:64px;background:var(--bg);border-radius:4px}
        .chart polyline{fill:none;stroke-width:1.5;vector-effect:non-scaling-stroke}
        .chart .expected{stroke:var(--exp)}.chart .p99{stroke:var(--tail);stroke-dasharray:3 2}
        .chart .open{fill:var(--bad);opacity:.18}
        .axis{display:flex;justify-content:space-between}
        .phases{display:block;width:100%;height:8px;background:var(--bg);border-radius:2px;margin-top:.4rem}
        .ph-dns{fill:#57ab5a}.ph-connect{fill:#c69026}.ph-tls{fill:#986ee2}.ph-first_byte{fill:#539bf5}.ph-first_token{fill:#e5534b}
        .login{max-width:22rem;margin:15vh auto;padding:1.25rem;background:var(--card);border:1px solid var(--line);border-radius:8px}
        .login h1{font-size:1.2rem;margin-top:0}
        .login label{display:block;color:var(--muted);margin-bottom:.25rem}
        .login input{width:100%;font:inherit;padding:.45rem;margin-bottom:.75rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--ink)}
        .error{color:var(--bad)}
        .hint{color:var(--muted);font-size:.8rem}
        @media (max-width:480px){.top{padding:.5rem .75rem}#node,#models{padding:0 .75rem}}
        .legend{display:flex;flex-wrap:wrap;gap:.25rem .9rem;margin:0 0 .5rem;color:var(--muted);font-size:.75rem}
        .legend svg{width:10px;height:10px;vertical-align:-1px;margin-right:.3rem}
        .legend .line{stroke-width:2}.legend .expected{stroke:var(--exp)}.legend .p99{stroke:var(--tail);stroke-dasharray:3 2}
        .legend .open{fill:var(--bad);opacity:.35}
        """

    /// Subscribes to `/status/events` and rebuilds the page from each snapshot with DOM text nodes (never HTML
    /// strings), in the same markup `StatusPage` renders.
    static let script = """
        (() => {
          "use strict";
          const live = document.getElementById("live");
          const setLive = (state, text) => { live.dataset.state = state; live.textContent = text; };
          const el = (tag, cls, text) => {
            const node = document.createElement(tag);
            if (cls) node.className = cls;
            if (text !== undefined) node.textContent = text;
            return node;
          };
          const svgNS = "http://www.w3.org/2000/svg";
          const sv = (tag, attrs) => {
            const node = document.createElementNS(svgNS, tag);
            for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
            return node;
          };
          const fixed = (v, places) => Number(v).toFixed(places);
          const ms = (v) => v === null || v === undefined ? "\\u2013" : (v >= 1000 ? fixed(v / 1000, 2) + " s" : fixed(v, 1) + " ms");
          const uptime = (s) => {
            const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, r = s % 60;
            if (d > 0) return d + " d " + h + " h";
            if (h > 0) return h + " h " + m + " min";
            if (m > 0) return m + " min " + r + " s";
            return r + " s";
          };
          const fact = (id, text, title) => {
            const node = document.getElementById(id);
            if (!node) return;
            node.textContent = text;
            if (title) node.title = title;
          };
          const reasonText = (d) => {
            const parts = [];
            if (d.breaker_reason) parts.push("reason: " + d.breaker_reason);
            if (d.retry_in_ms !== undefined && d.retry_in_ms !== null) parts.push("next trial in " + ms(d.retry_in_ms));
            if (d.suspect) parts.push("suspected of hanging");
            if (d.last_failure) parts.push("last failure: " + d.last_failure);
            return parts.length ? parts.join(" \\u00b7 ") : null;
          };
          const probeText = (p) => {
            let t = "probe " + p.age_seconds + " s ago: DNS " + ms(p.dns_ms) + " \\u00b7 connect " + ms(p.connect_ms);
            t += " \\u00b7 TLS " + (p.tls_ms > 0 ? ms(p.tls_ms) : "\\u2013") + " \\u00b7 first byte " + ms(p.first_byte_ms);
            t += " \\u00b7 first token " + ms(p.first_token_ms);
            if (p.status !== undefined && p.status !== null) t += " \\u00b7 HTTP " + p.status;
            if (p.error) t += " \\u00b7 " + p.error;
            return t;
          };
          const chart = (c) => {
            const svg = sv("svg", { "class": "chart", viewBox: "0 0 300 64", preserveAspectRatio: "none", role: "img",
              "aria-label": "TTFT over the last " + c.window_minutes + " minutes" });
            for (const s of c.open) svg.appendChild(sv("rect", { "class": "open", x: s.x, y: 0, width: s.width, height: 64 }));
            svg.appendChild(sv("polyline", { "class": "p99", points: c.p99 }));
            svg.appendChild(sv("polyline", { "class": "expected", points: c.expected }));
            const axis = el("p", "axis");
            axis.append(el("span", null, "\\u2212" + c.window_minutes + " min"),
              el("span", "max", "top " + ms(c.max_ms) + " \\u00b7 expected, p99"), el("span", null, "now"));
            return [svg, axis];
          };
          const probe = (p) => {
            const box = el("div", "probe");
            if (!p) { box.appendChild(el("p", "probe-text", "no probe yet")); return box; }
            const svg = sv("svg", { "class": "phases", viewBox: "0 0 100 4", preserveAspectRatio: "none", role: "img",
              "aria-label": "probe phases" });
            for (const s of p.bar) svg.appendChild(sv("rect", { "class": "ph-" + s.phase, x: s.x, y: 0, width: s.width, height: 4 }));
            box.append(svg, el("p", "probe-text", probeText(p)));
            return box;
          };
          const deployment = (d, model) => {
            const card = el("article", "deployment");
            card.dataset.model = model;
            card.dataset.provider = d.provider;
            card.dataset.breaker = d.breaker;
            const head = el("header");
            head.append(el("h3", null, d.provider), el("span", "badge b-" + d.breaker, d.breaker.replace(/_/g, "-")));
            card.appendChild(head);
            const rank = d.rank ? "rank " + d.rank : "not ranked";
            card.appendChild(el("p", "sub", [d.upstream_model, d.region, d.dialect, rank].join(" \\u00b7 ")));
            const reason = reasonText(d);
            if (reason) card.appendChild(el("p", "reason", reason));
            const share = d.traffic_share === undefined || d.traffic_share === null ? "\\u2013" : Math.round(d.traffic_share * 100) + " %";
            const nums = el("dl", "nums");
            for (const [cls, label, value] of [["expected", "expected", ms(d.expected_ms)], ["p50", "p50", ms(d.p50_ms)],
              ["p90", "p90", ms(d.p90_ms)], ["p99", "p99", ms(d.p99_ms)], ["share", "share (1 min)", share],
              ["in-flight", "in flight", String(d.in_flight)], ["failovers", "failovers/min", fixed(d.failovers_per_minute, 1)],
              ["samples", "samples", String(d.samples)]]) {
              const cell = el("div");
              cell.append(el("dt", null, label), el("dd", cls, value));
              nums.appendChild(cell);
            }
            card.appendChild(nums);
            card.append(...chart(d.chart), probe(d.probe));
            return card;
          };
          const model = (m) => {
            const section = el("section", "model");
            section.dataset.model = m.name;
            section.appendChild(el("h2", null, m.name));
            section.appendChild(el("p", "summary", "objective " + m.objective + " \\u00b7 route " + m.route_reason +
              " \\u00b7 hedges " + fixed(m.hedges_per_minute, 1) + "/min \\u00b7 failovers " + fixed(m.failovers_per_minute, 1) + "/min"));
            const grid = el("div", "deployments");
            for (const d of m.deployments) grid.appendChild(deployment(d, m.name));
            section.appendChild(grid);
            return section;
          };
          const render = (s) => {
            const n = s.node;
            fact("version", n.version);
            fact("uptime", uptime(n.uptime_seconds));
            fact("region", n.region || "\\u2013");
            fact("config", n.config_checksum ? n.config_checksum.slice(0, 16) : "\\u2013", n.config_checksum ? "SHA-256 " + n.config_checksum : null);
            fact("geoip", n.geoip_database_date ? n.geoip_database_date + (n.geoip_database_type ? " (" + n.geoip_database_type + ")" : "") : "off");
            fact("in-flight", String(n.requests_in_flight));
            fact("hedge-budget", fixed(n.hedge_budget_available, 1));
            fact("cache-hit-ratio", n.cache_hit_ratio == null ? "\\u2013" : fixed(n.cache_hit_ratio * 100, 1) + " %", n.cache_hits + " hits, " + n.cache_misses + " misses");
            fact("updated", s.generated_at);
            document.getElementById("models").replaceChildren(...s.models.map(model));
          };
          if (!("EventSource" in window)) return;
          const source = new EventSource("/status/events");
          source.onopen = () => setLive("live", "live");
          // A closed source (the session ended, say) does not come back by itself: a reload shows the login form.
          source.onerror = () => setLive("off", source.readyState === 2 ? "disconnected: reload" : "reconnecting\\u2026");
          source.onmessage = (event) => {
            let snapshot;
            try { snapshot = JSON.parse(event.data); } catch (_) { return; }
            render(snapshot);
            setLive("live", "live");
          };
        })();
        """
}
