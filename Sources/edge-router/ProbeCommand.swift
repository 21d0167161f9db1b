import ArgumentParser
import EdgeRouter
import Foundation

/// `edge-router probe`: one round of probes from this machine, as a table: the first thing to run on a new node.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Probe every deployment once and print DNS, connect, TLS, first byte and first token.")

    @Option(name: .long, help: "Configuration file (default: $EDGE_ROUTER_CONFIG, else edge-router.yaml).")
    var config: String?

    @Option(name: .long, help: "Only the deployments of this model.")
    var model: String?

    func run() async throws {
        let configuration = try loadConfiguration(config)
        let models = configuration.models.filter { model == nil || $0.name == model || $0.aliases.contains(model!) }
        guard !models.isEmpty else { Runtime.fail("edge-router probe: no model named '\(model ?? "")'") }
        let runner: ProbeRunner
        do {
            runner = try ProbeRunner(settings: configuration.probes ?? ProbeSettings())
        } catch {
            Runtime.fail(error.message)
        }
        let jobs = models.flatMap { model in model.deployments.map { (model, $0) } }
        let rows = await withTaskGroup(of: (Int, ProbeReport).self) { group in
            for (index, job) in jobs.enumerated() {
                group.addTask { (index, ProbeReport(await runner.probe(job.1, probe: job.0.probe, kind: job.0.kind, cold: true))) }
            }
            return await group.reduce(into: [ProbeReport?](repeating: nil, count: jobs.count)) { $0[$1.0] = $1.1 }
        }
        await runner.shutdown()
        var table = [["deployment", "model", "dns", "connect", "tls", "first byte", "first token", "status"]]
        for (job, report) in zip(jobs, rows) {
            guard let report else { continue }
            table.append([job.1.label, job.0.name] + report.cells)
        }
        let widths = table[0].indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        for row in table {
            // Every column but the last is padded to its width; the last (the status) is not.
            let cells = zip(row, widths).enumerated().map { index, cell in
                index == row.count - 1 ? cell.0 : cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
        if rows.contains(where: { $0?.failed ?? true }) { throw ExitCode(2) }
    }
}
