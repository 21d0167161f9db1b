@testable import ProviderSim
import Testing

@Suite("Connection registry", .timeLimit(.minutes(5)))
struct ConnectionRegistryTests {
    final class Connection {}

    /// Applies `change` and returns its result (mutating calls cannot sit inside `#expect`).
    static func apply<Value>(_ registry: inout ConnectionRegistry<Connection>, _ change: (inout ConnectionRegistry<Connection>) -> Value) -> Value {
        change(&registry)
    }

    @Test("a graceful shutdown finishes when the listener and the last connection have closed")
    func quiesce() {
        var registry = ConnectionRegistry<Connection>()
        let (a, b, late) = (Connection(), Connection(), Connection())
        #expect(Self.apply(&registry) { $0.add(ObjectIdentifier(a), a) } == .serve)
        #expect(Self.apply(&registry) { $0.add(ObjectIdentifier(b), b) } == .serve)
        #expect(Self.apply(&registry) { $0.beginQuiescing() }.count == 2)
        #expect(Self.apply(&registry) { $0.beginQuiescing() }.isEmpty, "a second request changes nothing")
        #expect(!Self.apply(&registry) { $0.remove(ObjectIdentifier(a)) })
        // Accepted while the shutdown began: served, then closed.
        #expect(Self.apply(&registry) { $0.add(ObjectIdentifier(late), late) } == .quiesce)
        let listener = Self.apply(&registry) { $0.listenerDidClose() }
        #expect(!listener.finished && listener.close.isEmpty)
        #expect(!Self.apply(&registry) { $0.remove(ObjectIdentifier(b)) })
        #expect(Self.apply(&registry) { $0.remove(ObjectIdentifier(late)) })
    }

    @Test("cancellation closes every connection, even during a graceful shutdown")
    func close() {
        var registry = ConnectionRegistry<Connection>()
        let (a, late) = (Connection(), Connection())
        _ = Self.apply(&registry) { $0.add(ObjectIdentifier(a), a) }
        _ = Self.apply(&registry) { $0.beginQuiescing() }
        #expect(Self.apply(&registry) { $0.beginClosing() }.count == 1)
        #expect(Self.apply(&registry) { $0.add(ObjectIdentifier(late), late) } == .close)
        #expect(!Self.apply(&registry) { $0.remove(ObjectIdentifier(late)) })
        let listener = Self.apply(&registry) { $0.listenerDidClose() }
        #expect(!listener.finished && listener.close.isEmpty)
        #expect(Self.apply(&registry) { $0.remove(ObjectIdentifier(a)) })
    }

    @Test("a listener closing on its own closes the connections")
    func listenerGone() {
        var registry = ConnectionRegistry<Connection>()
        let a = Connection()
        _ = Self.apply(&registry) { $0.add(ObjectIdentifier(a), a) }
        let listener = Self.apply(&registry) { $0.listenerDidClose() }
        #expect(!listener.finished)
        #expect(listener.close.count == 1)
        #expect(Self.apply(&registry) { $0.remove(ObjectIdentifier(a)) })

        var empty = ConnectionRegistry<Connection>()
        let alone = Self.apply(&empty) { $0.listenerDidClose() }
        #expect(alone.finished && alone.close.isEmpty)
    }
}
