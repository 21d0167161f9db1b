import Foundation
import Testing

@testable import BenchReport

/// The idle-memory target: judged on VmRSS at start and after the run, and, where missed, explained by how much of
/// it is anonymous memory rather than the binary's and libraries' file-backed pages.
@Suite(.timeLimit(.minutes(1)))
struct IdleMemoryTests {
    @Test func idleRSSPastTheLimitAfterLoadIsMissedAndSaysHowMuchOfItIsAnonymous() throws {
        let folder = try ResultsFolder(run: [
            "idle_rss_kib": ["router": 47_000], "idle_rss_after_kib": ["router": 66_000],
            "idle_rss_anon_kib": ["router": 5_120], "idle_rss_after_anon_kib": ["router": 12_288],
        ])
        let report = MarkdownReport(results: try ResultSet(directory: folder.url), chartLink: nil).render()
        #expect(
            report.contains(
                "| Idle RSS under 64 MB | 45.9 MiB at start, 64.5 MiB idle after the run | met at start, missed after load. "
                    + "Why: of it, anonymous memory (the heap, stacks) is 5.0 MiB at start and 12.0 MiB after the run;"))
    }

    @Test func idleRSSUnderTheLimitIsMetWithoutAReason() throws {
        let folder = try ResultsFolder(run: [
            "idle_rss_kib": ["router": 40_000], "idle_rss_after_kib": ["router": 50_000],
            "idle_rss_anon_kib": ["router": 5_000], "idle_rss_after_anon_kib": ["router": 9_000],
        ])
        let report = MarkdownReport(results: try ResultSet(directory: folder.url), chartLink: nil).render()
        #expect(report.contains("| Idle RSS under 64 MB | 39.1 MiB at start, 48.8 MiB idle after the run | met |"))
    }

    @Test func aRunFromBeforeTheAnonymousSplitIsJudgedWithoutIt() throws {
        let folder = try ResultsFolder(run: ["idle_rss_kib": ["router": 47_000], "idle_rss_after_kib": ["router": 66_000]])
        let report = MarkdownReport(results: try ResultSet(directory: folder.url), chartLink: nil).render()
        #expect(report.contains("| 45.9 MiB at start, 64.5 MiB idle after the run | met at start, missed after load |"))
    }
}
