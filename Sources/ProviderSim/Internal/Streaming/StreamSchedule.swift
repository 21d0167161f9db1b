import NIOCore

/// When each part of one streamed answer is due: the content tokens `ttft + gap × index` after the start, then
/// the closing frames with the last token (or at the TTFT when there are none), or a cut in place of token
/// `cutAfterTokens`. Pure arithmetic over deadlines, so the timing is tested without sockets or clocks.
struct StreamSchedule {
    /// What to do at a wake-up: send the tokens in `tokens` (possibly none), then what `then` says.
    struct Step: Equatable {
        var tokens: Range<Int>
        var then: Then
    }

    enum Then: Equatable {
        /// More is due later: wake up again at this deadline.
        case wait(until: NIODeadline)
        /// The last token has gone: send the finish (and usage) frames and `[DONE]`.
        case finish
        /// Drop the connection without finishing the stream (`cut_after_tokens`).
        case cut
        /// Send the in-stream error and end the body (`stream_error_after_tokens`).
        case fail
    }

    private let firstToken: NIODeadline
    private let gap: TimeAmount
    private let tokenCount: Int
    private let cutAt: Int?
    /// Where the stream stops early, and how: the earlier of the cut and the in-stream error (the cut on a tie).
    private let stopEarly: (at: Int, then: Then)?
    /// The first token not sent yet.
    private(set) var nextToken = 0

    init(start: NIODeadline, ttft: TimeAmount, gap: TimeAmount, tokens: Int, cutAfterTokens: Int?, failAfterTokens: Int? = nil) {
        self.firstToken = start + ttft
        self.gap = gap
        self.tokenCount = tokens
        // A cut (or an error) at or past the last token never happens: the stream finishes first.
        let cut = cutAfterTokens.flatMap { $0 < tokens ? $0 : nil }
        let fail = failAfterTokens.flatMap { $0 < tokens ? $0 : nil }
        switch (cut, fail) {
        case (let cut?, let fail?): stopEarly = fail < cut ? (fail, .fail) : (cut, .cut)
        case (let cut?, nil): stopEarly = (cut, .cut)
        case (nil, let fail?): stopEarly = (fail, .fail)
        case (nil, nil): stopEarly = nil
        }
        self.cutAt = stopEarly?.at
    }

    /// When token `index` is due; `tokenCount` stands for the closing frames, sent with the last token.
    private func due(_ index: Int) -> NIODeadline {
        firstToken + gap * Int64(max(0, min(index, tokenCount - 1)))
    }

    /// The first deadline of this schedule (the first token, a cut at token 0, or the closing frames).
    var firstDeadline: NIODeadline { due(0) }

    /// Everything due at `now`; the schedule moves past the tokens it returns.
    mutating func advance(to now: NIODeadline) -> Step {
        let first = nextToken
        let stop = cutAt ?? tokenCount
        while nextToken < stop && due(nextToken) <= now { nextToken += 1 }
        let sent = first..<nextToken
        if nextToken == stop && due(nextToken) <= now {
            return Step(tokens: sent, then: stopEarly?.then ?? .finish)
        }
        return Step(tokens: sent, then: .wait(until: due(nextToken)))
    }
}
