import Foundation

/// A process whose CPU time and memory are recorded over the measured window, with all its descendants
/// (nginx's workers, LiteLLM's uvicorn workers).
public struct WatchedProcess: Sendable {
    public var name: String
    public var pid: Int32

    public init(name: String, pid: Int32) {
        self.name = name
        self.pid = pid
    }

    /// Parses `name=pid`.
    public init(argument: String) throws(LoadError) {
        guard let equals = argument.firstIndex(of: "="), let pid = Int32(argument[argument.index(after: equals)...]), pid > 0
        else { throw LoadError("--watch takes name=pid, not \(argument)") }
        self.init(name: String(argument[..<equals]), pid: pid)
    }
}

/// CPU and memory of a watched process tree over the measured window.
public struct ProcessFigures: Codable, Sendable {
    /// User plus system CPU time spent inside the window, summed over the tree.
    public var cpuSeconds: Double
    /// Resident memory of the tree (sum of VmRSS, so shared pages count once per process) at the window's
    /// start, its peak (sampled every 250 ms) and its end, in KiB.
    public var rssStartKib: Int
    public var rssPeakKib: Int
    public var rssEndKib: Int
    /// Processes in the tree.
    public var processes: Int
}

/// Reads `/proc` for CPU time and resident memory.
public enum ProcFS {
    /// Clock ticks per second of the `utime`/`stime` fields.
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// `root` and every process descended from it.
    public static func tree(of root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), let fields = statFields(pid), fields.count > 1, let parent = Int32(fields[1])
            else { continue }
            children[parent, default: []].append(pid)
        }
        var result: [Int32] = []
        var stack = [root]
        while let pid = stack.popLast() {
            result.append(pid)
            stack += children[pid] ?? []
        }
        return result
    }

    /// The fields of `/proc/PID/stat` after the command name, starting with the state (field 3).
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// User plus system CPU seconds a process has used so far.
    public static func cpuSeconds(_ pid: Int32) -> Double? {
        // utime and stime are fields 14 and 15 of the stat line: indexes 11 and 12 after the state.
        guard let fields = statFields(pid), fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12])
        else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// Resident memory of a process in KiB (`VmRSS` of `/proc/PID/status`).
    public static func residentKiB(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // "VmRSS:\t   1234 kB": tabs and spaces before the number.
            return Int(line.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}

/// Samples the watched processes over the window: CPU at its start and end, memory every 250 ms.
enum ProcessWatch {
    static func run(_ processes: [WatchedProcess], from: ContinuousClock.Instant, until: ContinuousClock.Instant) async
        -> [String: ProcessFigures]
    {
        guard !processes.isEmpty else { return [:] }
        try? await Task.sleep(until: from, clock: .continuous)
        // The trees are taken once, at the start: the servers watched start their workers before any load.
        let trees = processes.map { ProcFS.tree(of: $0.pid) }
        let cpuStart = trees.map { $0.compactMap(ProcFS.cpuSeconds).reduce(0, +) }
        let rssStart = trees.map(rss)
        var peak = rssStart
        while ContinuousClock.now < until {
            try? await Task.sleep(for: .milliseconds(250))
            for (index, tree) in trees.enumerated() { peak[index] = max(peak[index], rss(tree)) }
        }
        var figures: [String: ProcessFigures] = [:]
        for (index, process) in processes.enumerated() {
            let cpuEnd = trees[index].compactMap(ProcFS.cpuSeconds).reduce(0, +)
            let rssEnd = rss(trees[index])
            figures[process.name] = ProcessFigures(
                cpuSeconds: max(0, cpuEnd - cpuStart[index]), rssStartKib: rssStart[index],
                rssPeakKib: max(peak[index], rssEnd), rssEndKib: rssEnd, processes: trees[index].count)
        }
        return figures
    }

    private static func rss(_ tree: [Int32]) -> Int {
        tree.compactMap(ProcFS.residentKiB).reduce(0, +)
    }
}
