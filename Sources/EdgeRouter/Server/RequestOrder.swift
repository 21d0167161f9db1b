import HTTPTypes
import NIOCore
import NIOHTTPTypes
import RoutingCore

/// Keeps a connection's responses in the order of its requests when some are answered by the router's own chat
/// handler and the rest by the application (Hummingbird) behind it. A plain value, owned by the connection's
/// ``ChatCompletionsHandler``.
///
/// Each request part is handled here, passed on, or held: a request must wait while a request of the other side
/// is still being answered (a client may pipeline). Once one part is held, every later part is held too, until
/// the handler replays them.
struct RequestOrder {
    /// Who answers a request.
    enum Side { case router, application }

    /// What to do with a request part.
    enum Action: Equatable {
        case handle
        case passOn
        case hold
    }

    /// The side whose request's parts are being read.
    private var reading: Side?
    /// A request of the router's is being read or answered.
    private(set) var routerBusy = false
    /// Requests passed on whose response has not ended yet.
    private(set) var applicationPending = 0
    /// Parts held back, in order.
    private(set) var held = CircularBuffer<HTTPRequestPart>()

    /// Where an incoming part goes; `side` tells which side a request head is for.
    mutating func route(_ part: HTTPRequestPart, side: (HTTPRequest) -> Side) -> Action {
        guard held.isEmpty else {
            held.append(part)
            return .hold
        }
        switch part {
        case .head(let head):
            let wanted = side(head)
            let blocked = routerBusy || (wanted == .router && applicationPending > 0)
            guard !blocked else {
                held.append(part)
                return .hold
            }
            reading = wanted
            switch wanted {
            case .router: routerBusy = true
            case .application: applicationPending += 1
            }
            return wanted == .router ? .handle : .passOn
        case .body, .end:
            let side = reading
            if case .end = part { reading = nil }
            // Parts of no request go on to the application, whose HTTP handling reports them.
            return side == .router ? .handle : .passOn
        }
    }

    /// The router's response has ended.
    mutating func routerResponseEnded() {
        routerBusy = false
    }

    /// One of the application's responses has ended.
    mutating func applicationResponseEnded() {
        applicationPending = max(0, applicationPending - 1)
    }

    /// The held parts, to route again in order (they may be held again).
    mutating func takeHeld() -> CircularBuffer<HTTPRequestPart> {
        defer { held.removeAll() }
        return held
    }
}
