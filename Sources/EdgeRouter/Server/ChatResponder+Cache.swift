import HTTPTypes
import NIOCore
import RequestLog

/// The response cache's part of answering a chat request: the lookup (memory, then the shared tier), a hit
/// replayed whole or paced, an identical answer under way followed, and a complete answer stored.
extension ChatResponder {
    /// The request's cache key, when its key's or model's policy (or its `x-edge-cache-ttl`) makes it cacheable
    /// and it is deterministic or the policy caches non-deterministic requests too; nil otherwise.
    func cacheKey(for checked: CheckedChat) -> (key: CacheKey, policy: CachePolicy)? {
        guard let key, let options = cacheOptions,
            let policy = options.effective(key.cache ?? pipeline.configuration.cache.models[checked.model.name])
        else { return nil }
        let canonical = body.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { bytes in
                CacheKey.make(
                    tenant: key.id, dialect: endpoint.dialect, model: checked.request.model,
                    passedOn: checked.request.passedOn, body: bytes, responses: endpoint == .responses)
            }
        }
        guard let canonical, canonical.isDeterministic || policy.nondeterministic else { return nil }
        return (canonical.key, policy)
    }

    /// Looks the request up: a hit is answered now, an identical answer under way is followed (both return
    /// true); on a miss this request fetches the answer (and leads, when it is to be stored).
    func consultCache(_ checked: CheckedChat, _ canonical: (key: CacheKey, policy: CachePolicy)) -> Bool {
        let options = cacheOptions
        replayPacing = checked.request.stream ? canonical.policy.replayPacing : .fixed(.zero)
        let lookup = pipeline.cache.lookup(
            canonical.key, policy: canonical.policy, bypass: options?.bypassLookup ?? false, noStore: options?.noStore ?? false)
        switch lookup {
        case .hit(let answer):
            cacheStatus = "hit"
            replay(answer)
            return true
        case .follow(let fill):
            return follow(fill)
        case .lead(let fill):
            cacheStatus = "miss"
            trail.cacheStatus = "miss"
            cacheFill = fill
            cachePolicy = canonical.policy
            if let redis = pipeline.cache.redis, !(options?.bypassLookup ?? false) {
                phase = .lookingUp
                let bound = NIOLoopBound(self, eventLoop: eventLoop)
                redis.get(canonical.key).hop(to: eventLoop).whenComplete { result in
                    let found: CachedAnswer?? = try? result.get()
                    bound.value.sharedTierAnswered(found ?? nil)
                }
                return true
            }
            pipeline.cache.metrics.miss()
            return false
        case .miss:
            cacheStatus = "miss"
            trail.cacheStatus = "miss"
            pipeline.cache.metrics.miss()
            return false
        }
    }

    /// The shared tier answered the lookup: its answer is kept in the memory tier, given to the requests that
    /// follow this one, and replayed; without one, the providers are asked.
    func sharedTierAnswered(_ found: CachedAnswer?) {
        guard case .lookingUp = phase else { return }  // the client left meanwhile
        guard let found = found?.assembled(for: endpoint), let fill = cacheFill, let policy = cachePolicy else {
            pipeline.cache.metrics.miss()
            planAndStart()
            return
        }
        cacheFill = nil
        pipeline.cache.metrics.hit()
        let age = Duration.milliseconds(max(0, UnixTime.nowMs() - found.storedAtMs))
        pipeline.cache.store(found, for: fill, ttl: max(.milliseconds(1), policy.ttl - age), share: false)
        fill.start(found.providerDialect, provider: found.provider, upstreamModel: found.upstreamModel)
        for frame in found.frames { fill.append(frame) }
        fill.complete()
        cacheStatus = "hit"
        replay(found)
    }

    /// The headers of an answer from the cache (or followed): the client's place, the request id, which provider
    /// gave the answer, and `x-edge-cache`.
    func cachedHeaders(provider: String, upstreamModel: String, age: Int64?) -> HTTPFields {
        var headers = placedHeaders(room: 9)
        headers.append(HTTPField(name: .edgeRequestID, value: requestID))
        headers.append(HTTPField(name: .edgeProvider, value: provider))
        headers.append(HTTPField(name: .edgeUpstreamModel, value: upstreamModel))
        headers.append(HTTPField(name: .edgeResumable, value: buffer == nil ? "false" : "true"))
        if let cacheStatus { headers.append(HTTPField(name: .edgeCache, value: cacheStatus)) }
        if let age { headers.append(HTTPField(name: .age, value: String(age))) }
        return headers
    }

    /// Answers from a stored answer: its frames go through the writer as a live answer's would, all at once (one
    /// write), or spaced as ``replayPacing`` says for a streamed hit whose policy paces replays; a whole answer is
    /// written from the entry's assembled answer when it has one.
    func replay(_ cached: CachedAnswer) {
        phase = .over
        checked = nil
        body = ByteBuffer()
        trail.cacheStatus = "hit"
        trail.costSavedUSD = cached.costUSD
        let headers = cachedHeaders(
            provider: cached.provider, upstreamModel: cached.upstreamModel, age: ResponseCache.age(of: cached))
        writer.start(providerDialect: cached.providerDialect, headers: headers)
        if replayPacing.paces(cached) {
            phase = .replaying
            replayFrames(of: cached, from: 0, headers: headers)
            return
        }
        for frame in cached.frames { trail.observe(frame) }
        let written =
            if let assembly = cached.assembly, !writer.isStreaming {
                writer.append(assembled: assembly)
            } else {
                cached.frames.allSatisfy { writer.append($0) }
            }
        guard written else {
            answer(EdgeRouterError(.responseTooLarge, "The cached answer is larger than this router's max_response_bytes."))
            return
        }
        replayed(cached, headers: headers)
    }

    /// Writes the events of a paced replay from `index` up to the next one that waits (its gap, as
    /// ``replayPacing`` says, is not zero), and schedules that one; the last event ends the answer. A client that
    /// leaves meanwhile cancels the timer (``stopUpstream()``).
    func replayFrames(of cached: CachedAnswer, from index: Int, headers: HTTPFields) {
        replayTimer = nil
        guard case .replaying = phase else { return }
        var next = index
        var gap = Duration.zero
        while gap == .zero {
            guard next < cached.frames.count else {
                phase = .over
                replayed(cached, headers: headers)
                return
            }
            trail.observe(cached.frames[next])
            _ = writer.append(cached.frames[next])  // streamed: never refused for its size
            next += 1
            gap = next < cached.frames.count ? replayPacing.gap(before: next, of: cached) : .zero
        }
        writer.flush()
        // Bound to this event loop, where the timer fires: the responder is only ever touched there.
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        replayTimer = eventLoop.scheduleTask(in: TimeAmount(gap)) { [next] in
            bound.value.replayFrames(of: cached, from: next, headers: headers)
        }
    }

    /// A hit was written whole: the answer ends, is kept when the Responses API asked to store it (under the new
    /// response id this answer got), and goes on record.
    func replayed(_ cached: CachedAnswer, headers: HTTPFields) {
        writer.complete(headers: headers, fallbackModel: cached.upstreamModel) { [self] answer in storeResponse(answer) }
        pipeline.metrics.recordRequest(.ok, deployment: nil, duration: ContinuousClock.now - received)
        account(status: 200, errorType: nil)
    }

    /// Follows an identical request's answer under way; false when it can no longer be followed (then this
    /// request fetches its own).
    func follow(_ fill: CacheFill) -> Bool {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        guard let catchup = fill.subscribe(on: eventLoop, { event in bound.value.followed(event) }) else { return false }
        cacheStatus = "coalesced"
        trail.cacheStatus = "coalesced"
        followed = fill
        phase = .following
        for event in catchup.events { followed(event) }
        if case .relaying = phase { writer.flush() }
        return true
    }

    /// One event of the followed answer, on this request's event loop.
    func followed(_ event: CacheFill.Event) {
        switch event {
        case .started(let dialect, let provider, let upstreamModel):
            guard case .following = phase else { return }
            phase = .relaying
            cacheHeaders = cachedHeaders(provider: provider, upstreamModel: upstreamModel, age: nil)
            writer.start(providerDialect: dialect, headers: cacheHeaders)
        case .frame(let frame):
            guard case .relaying = phase else { return }
            trail.observe(frame)
            guard writer.append(frame) else {
                phase = .over
                answer(EdgeRouterError(.responseTooLarge, "The answer grew past this router's max_response_bytes."))
                return
            }
            writer.flush()
        case .completed:
            guard case .relaying = phase else { return }
            phase = .over
            followed = nil
            writer.complete(headers: cacheHeaders, fallbackModel: cacheHeaders[.edgeUpstreamModel] ?? "") { [self] answer in
                storeResponse(answer)
            }
            checked = nil
            body = ByteBuffer()
            pipeline.metrics.recordRequest(.ok, deployment: nil, duration: ContinuousClock.now - received)
            account(status: 200, errorType: nil)
        case .abandoned:
            followed = nil
            switch phase {
            case .following:
                // Nothing was written: this request asks the providers itself.
                trail.cacheStatus = "miss"
                cacheStatus = "miss"
                pipeline.cache.metrics.miss()
                planAndStart()
            case .relaying:
                phase = .over
                writer.fail(
                    EdgeRouterError(.streamInterrupted, "The provider's stream broke off before the answer was complete."))
                account(status: 200, errorType: ErrorResponse.openAICode(of: .streamInterrupted))
            default:
                break
            }
        }
    }

    /// The led answer is complete: stored (when it fits its bound), then its followers told.
    func storeFill(_ start: ExchangeStart) {
        guard let fill = cacheFill, let policy = cachePolicy else { return }
        cacheFill = nil
        if let (frames, gapsMs) = fill.kept {
            var usage = UsageTally()
            for frame in frames { usage.observe(frame) }
            let tokens = usage.tokens(promptBytes: trail.promptBytes).tokens
            let answer = CachedAnswer(
                providerDialect: start.deployment.provider.dialect, provider: start.deployment.provider.id,
                upstreamModel: start.deployment.upstreamModel, frames: frames, gapsMs: gapsMs, storedAtMs: UnixTime.nowMs(),
                costUSD: start.deployment.price.cost(of: tokens)
            ).assembled(for: endpoint)
            pipeline.cache.store(answer, for: fill, ttl: policy.ttl)
        } else {
            pipeline.cache.release(fill)
        }
        fill.complete()
    }

    /// The led answer will not be complete: its followers are told, and nothing is stored.
    func abandonFill() {
        guard let fill = cacheFill else { return }
        cacheFill = nil
        pipeline.cache.release(fill)
        fill.abandon()
    }
}
