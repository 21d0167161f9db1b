import EdgeLoadCore
import Foundation

/// The load reports of one run, as `scripts/bench` lays them out:
/// `ceiling/RATE.json`, `A/PATH-RATE.json` and `B/PATH-LEVEL.json`, each with a `-retry` twin when the first
/// try did not hold and was repeated. Beside a proxy's report, `PATH-RATE.connections` (one integer) holds the
/// connections its upstream simulator accepted during that run. PATH may itself hold dashes (`router-tls`).
struct ResultSet {
    /// One measurement as counted: the retry when the first try failed and was repeated.
    struct Entry {
        var report: LoadReport
        var verdict: Verdict
        var retried: Bool
        /// Connections the path's upstream simulator accepted during the run (warm-up and drain included); nil
        /// when not recorded (the direct path, or a run from before the count existed).
        var upstreamConnections: Int? = nil
    }

    let info: RunInfo
    let limits: Verdict.RateLimits
    private(set) var ceiling: [Int: Entry] = [:]
    private(set) var rateRuns: [String: [Int: Entry]] = [:]
    private(set) var streamRuns: [String: [Int: Entry]] = [:]
    /// The routing-quality runs, by strategy id (`routing/STRATEGY.json`).
    private(set) var routing: [String: LoadReport] = [:]
    /// The profiled steps, by path (`profile/PATH.json`, the load report, beside `profile/PATH.txt`, perf's samples).
    private(set) var profiles: [String: Profiled] = [:]

    /// One proxy's profiled step: what it cost (the load report) and where that went (the samples).
    struct Profiled {
        var entry: Entry
        var cpu: CPUProfile
    }

    init(directory: URL) throws {
        info = try RunInfo.load(directory.appendingPathComponent("run.json"))
        limits = Verdict.RateLimits(p99BoundMs: info.scenarioA.p99BoundMs, maxErrorRatio: info.scenarioA.maxErrorRatio)
        let ceilingFiles = try Self.reports(in: directory.appendingPathComponent("ceiling"))
        for (name, report) in ceilingFiles {
            guard let rate = Int(name) else { continue }
            var entry = Entry(report: report, verdict: Verdict.rate(report, limits), retried: false)
            if !entry.verdict.held, let retry = ceilingFiles[name + "-retry"] {
                entry = Entry(report: retry, verdict: Verdict.rate(retry, limits), retried: true)
            }
            ceiling[rate] = entry
        }
        let rateFolder = directory.appendingPathComponent("A")
        let rateFiles = try Self.reports(in: rateFolder)
        let rateConnections = try Self.connections(in: rateFolder)
        for (name, report) in rateFiles where !name.hasSuffix("-retry") {
            guard let (path, rate) = Self.split(name) else { continue }
            var entry = Entry(report: report, verdict: Verdict.rate(report, limits), retried: false, upstreamConnections: rateConnections[name])
            if !entry.verdict.held, let retry = rateFiles[name + "-retry"] {
                entry = Entry(
                    report: retry, verdict: Verdict.rate(retry, limits), retried: true,
                    upstreamConnections: rateConnections[name + "-retry"])
            }
            rateRuns[path, default: [:]][rate] = entry
        }
        let streamFolder = directory.appendingPathComponent("B")
        let streamFiles = try Self.reports(in: streamFolder)
        let streamConnections = try Self.connections(in: streamFolder)
        for (name, report) in streamFiles where !name.hasSuffix("-retry") {
            guard let (path, level) = Self.split(name) else { continue }
            var entry = Entry(report: report, verdict: Verdict.streams(report), retried: false, upstreamConnections: streamConnections[name])
            if !entry.verdict.held, let retry = streamFiles[name + "-retry"] {
                entry = Entry(
                    report: retry, verdict: Verdict.streams(retry), retried: true,
                    upstreamConnections: streamConnections[name + "-retry"])
            }
            streamRuns[path, default: [:]][level] = entry
        }
        routing = try Self.reports(in: directory.appendingPathComponent("routing")).filter { $0.value.scenario != nil }
        let profileFolder = directory.appendingPathComponent("profile")
        for (path, report) in try Self.reports(in: profileFolder) {
            let samples = profileFolder.appendingPathComponent(path + ".txt")
            guard let text = try? String(contentsOf: samples, encoding: .utf8) else { continue }
            let cpu = CPUProfile(perfScript: text)
            guard cpu.samples > 0 else { continue }
            profiles[path] = Profiled(entry: Entry(report: report, verdict: Verdict.rate(report, limits), retried: false), cpu: cpu)
        }
    }

    /// `router-5000` → ("router", 5000).
    private static func split(_ name: String) -> (String, Int)? {
        guard let dash = name.lastIndex(of: "-"), let number = Int(name[name.index(after: dash)...]) else { return nil }
        return (String(name[..<dash]), number)
    }

    /// Every `*.json` report in a folder, by file name without the extension (a missing folder is empty).
    private static func reports(in folder: URL) throws -> [String: LoadReport] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [:] }
        var result: [String: LoadReport] = [:]
        for name in names where name.hasSuffix(".json") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            do {
                result[String(name.dropLast(5))] = try LoadReport.decode(data)
            } catch {
                throw ReportError("cannot read \(folder.lastPathComponent)/\(name): \(error)")
            }
        }
        return result
    }

    /// Every `*.connections` count in a folder, by file name without the extension (a missing folder is empty).
    static func connections(in folder: URL) throws -> [String: Int] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [:] }
        var result: [String: Int] = [:]
        for name in names where name.hasSuffix(".connections") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            guard let count = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), count >= 0 else {
                throw ReportError("\(folder.lastPathComponent)/\(name) does not hold a count of connections")
            }
            result[String(name.dropLast(".connections".count))] = count
        }
        return result
    }

    /// Rates measured in scenario A, ascending, across paths.
    var rates: [Int] { Array(Set(rateRuns.values.flatMap(\.keys))).sorted() }

    /// Stream levels measured in scenario B, ascending.
    var levels: [Int] { Array(Set(streamRuns.values.flatMap(\.keys))).sorted() }

    /// The highest rate a path held, if any.
    func knee(_ path: String) -> Int? {
        rateRuns[path]?.filter { $0.value.verdict.held }.keys.max()
    }

    /// The highest of `rates` a path held, if any (a knee on a shorter ladder, such as the TLS rows').
    func knee(_ path: String, among rates: [Int]) -> Int? {
        rateRuns[path]?.filter { $0.value.verdict.held && rates.contains($0.key) }.keys.max()
    }

    /// The lowest rate a path was tried at (to say "below X" when it held none).
    func lowestTried(_ path: String) -> Int? {
        rateRuns[path]?.keys.min()
    }

    /// The most streams a path held, if any.
    func mostStreams(_ path: String) -> Int? {
        streamRuns[path]?.filter { $0.value.verdict.held }.keys.max()
    }

    /// The highest rate edge-load held against nginx's static answer.
    var generatorCeiling: Int? {
        ceiling.filter { $0.value.verdict.held }.keys.max()
    }

    /// Whether the ceiling test ran out of rates to try (so the ceiling is at least, not at most, that).
    var ceilingUnbounded: Bool {
        guard let top = ceiling.keys.max() else { return false }
        return ceiling[top]?.verdict.held ?? false
    }

    func pathName(_ id: String) -> String {
        info.paths.first { $0.id == id }?.name ?? id
    }

    /// Paths in the order the run lists them, the direct baseline first.
    var pathIDs: [String] { info.paths.map(\.id) }

    /// The proxies (every path but direct).
    var proxyIDs: [String] { pathIDs.filter { $0 != "direct" } }
}

/// A results folder that cannot be turned into a report.
struct ReportError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
