import Foundation
import GeoIP
import InMemoryLogging
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// A flag that tasks can share.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func stop() { value.store(true, ordering: .releasing) }
    var isStopped: Bool { value.load(ordering: .acquiring) }
}

@Suite("GeoIPResolver", .timeLimit(.minutes(5)))
struct GeoIPResolverTests {
    // "2001:480:10::/48" in GeoIP2-City-Test.json (accuracy radius 20) and "2001:480::/43" in
    // GeoLite2-City-Test.json (accuracy radius 50) tell the two databases apart.
    static let sanDiego = IPAddress(ipv6: 0x2001_0480_0010 << 80 | 1)
    static let geoIP2Accuracy = 20
    static let geoLite2Accuracy = 50

    @Test("merges the location and ASN databases")
    func merges() throws {
        let resolver = try GeoIPResolver(
            configuration: .init(
                locationDatabasePath: Fixture.geoIP2City.path, asnDatabasePath: Fixture.geoLite2ASN.path),
            logger: quietLogger)
        #expect(resolver.isEnabled)
        // City "::89.160.20.112/124" and ASN "89.160.20.112/29"
        #expect(
            resolver.locate(IPAddress(89, 160, 20, 115))
                == GeoLocation(
                    countryISOCode: "SE", continentCode: "EU", subdivisionISOCode: "E", cityName: "Linköping",
                    latitude: 58.4167, longitude: 15.6167, accuracyRadiusKm: 76, asn: 29518,
                    asOrganization: "Bredband2 AB"))
        // ASN only: "1.128.0.0/11"
        #expect(resolver.locate(IPAddress(1, 128, 0, 1)) == GeoLocation(asn: 1221, asOrganization: "Telstra Pty Ltd"))
        // City only: "::2.125.160.216/125"
        let boxford = resolver.locate(IPAddress(2, 125, 160, 216))
        #expect(boxford?.cityName == "Boxford")
        #expect(boxford?.asn == nil)
        // Neither.
        #expect(resolver.locate(IPAddress(1, 1, 1, 1)) == nil)
        #expect(resolver.failedLookups == 0)
    }

    @Test("with no database configured, geolocation is off and says so once")
    func disabled() throws {
        let (logger, logs) = capturingLogger()
        for resolver in [
            GeoIPResolver.disabled(logger: logger), try GeoIPResolver(configuration: .init(), logger: logger),
        ] {
            #expect(!resolver.isEnabled)
            #expect(resolver.locate(IPAddress(2, 125, 160, 216)) == nil)
            #expect(resolver.locationDatabase == nil)
            #expect(resolver.reloadIfChanged() == ReloadOutcome(location: .notConfigured, asn: .notConfigured))
        }
        #expect(logs.entries.count == 2)
        #expect(logs.entries.allSatisfy { $0.level == .notice && "\($0.message)".contains("geolocation is off") })
    }

    @Test("a configured file that cannot be opened fails startup, naming it")
    func startupFailure() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("missing.mmdb")
        let error = try #require(throws: GeoIPError.self) {
            try GeoIPResolver(configuration: .init(locationDatabasePath: path), logger: quietLogger)
        }
        #expect(error.code == .fileNotFound)
        #expect(error.message.contains(path))
    }

    @Test("a resolver allowed to start without its file picks it up when it appears")
    func startsWithoutFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("city.mmdb")
        let (logger, logs) = capturingLogger()
        let resolver = try GeoIPResolver(
            configuration: .init(locationDatabasePath: path, requireDatabasesAtStartup: false), logger: logger)
        #expect(resolver.isEnabled)
        #expect(resolver.locate(Self.sanDiego) == nil)
        #expect(logs.entries.filter { $0.level == .warning }.count == 1)

        // Still missing: reported as failed, but not logged again.
        #expect(resolver.reloadIfChanged().location.error?.code == .fileNotFound)
        #expect(logs.entries.filter { $0.level == .warning }.count == 1)

        try directory.replace("city.mmdb", with: .geoIP2City)
        #expect(resolver.reloadIfChanged().location.didReload)
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)
    }

    @Test("a database of the wrong kind is refused for its role")
    func wrongKind() throws {
        let asnAsLocation = try #require(throws: GeoIPError.self) {
            try GeoIPResolver(configuration: .init(locationDatabasePath: Fixture.geoLite2ASN.path), logger: quietLogger)
        }
        #expect(asnAsLocation.code == .unsupportedDatabase)
        #expect(asnAsLocation.message.contains(Fixture.geoLite2ASN.path))
        #expect(asnAsLocation.message.contains("GeoLite2-ASN"))

        let cityAsASN = try #require(throws: GeoIPError.self) {
            try GeoIPResolver(configuration: .init(asnDatabasePath: Fixture.geoLite2City.path), logger: quietLogger)
        }
        #expect(cityAsASN.code == .unsupportedDatabase)

        // A Country database serves as a location database.
        let country = try GeoIPResolver(
            configuration: .init(locationDatabasePath: Fixture.geoLite2Country.path), logger: quietLogger)
        #expect(country.locate(IPAddress(2, 125, 160, 216)) == GeoLocation(countryISOCode: "GB", continentCode: "EU"))
    }

    @Test("a file renamed over the old one is picked up by reloadIfChanged")
    func reloadByRename() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.copy(.geoIP2City, to: "city.mmdb")
        let resolver = try GeoIPResolver(configuration: .init(locationDatabasePath: path), logger: quietLogger)
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)
        #expect(resolver.reloadIfChanged() == ReloadOutcome(location: .unchanged, asn: .notConfigured))

        try directory.replace("city.mmdb", with: .geoLite2City)
        // Nothing changes until the check runs: the swap is explicit.
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)
        let outcome = resolver.reloadIfChanged()
        guard case .reloaded(let metadata) = outcome.location else {
            Issue.record("expected a reload, got \(outcome)")
            return
        }
        #expect(metadata.databaseType == "GeoLite2-City")
        #expect(outcome.didReload)
        #expect(outcome.failures.isEmpty)
        #expect(resolver.locationDatabase?.metadata.databaseType == "GeoLite2-City")
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoLite2Accuracy)
        #expect(resolver.reloadIfChanged().location == .unchanged)

        // And back again (possibly into a recycled inode of the same size).
        try directory.replace("city.mmdb", with: .geoIP2City)
        #expect(resolver.reloadIfChanged().location.didReload)
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)
    }

    @Test("a broken replacement keeps the old database, warns once, and recovers")
    func brokenReplacement() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.copy(.geoIP2City, to: "city.mmdb")
        let (logger, logs) = capturingLogger()
        let resolver = try GeoIPResolver(configuration: .init(locationDatabasePath: path), logger: logger)
        let warnings = { logs.entries.filter { $0.level == .warning } }

        try directory.replace("city.mmdb", withBytes: Array(repeating: 0xAB, count: 10_000))
        let first = resolver.reloadIfChanged()
        #expect(first.location.error?.code == .invalidDatabase)
        #expect(first.location.error?.message.contains(path) == true)
        #expect(first.failures.count == 1)
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)
        #expect(resolver.locationDatabase?.metadata.databaseType == "GeoIP2-City")
        #expect(warnings().count == 1)
        #expect(warnings().first?.metadata["geoip.path"] == "\(path)")

        // The same broken file: still failed, not reopened, not logged again.
        #expect(resolver.reloadIfChanged().location.error?.code == .invalidDatabase)
        #expect(warnings().count == 1)

        // A valid database of the wrong kind is refused the same way.
        try directory.replace("city.mmdb", with: .geoLite2ASN)
        #expect(resolver.reloadIfChanged().location.error?.code == .unsupportedDatabase)
        #expect(warnings().count == 2)
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)

        // The file vanishing keeps the database too.
        try FileManager.default.removeItem(atPath: path)
        #expect(resolver.reloadIfChanged().location.error?.code == .fileNotFound)
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)

        try directory.replace("city.mmdb", with: .geoLite2City)
        #expect(resolver.reloadIfChanged().location.didReload)
        #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoLite2Accuracy)
        #expect(logs.entries.contains { $0.level == .info && "\($0.message)" == "GeoIP database reloaded" })
    }

    @Test("the replaced database stays open for a holder and closes when released")
    func referenceCounting() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.copy(.geoIP2City, to: "city.mmdb")
        let resolver = try GeoIPResolver(configuration: .init(locationDatabasePath: path), logger: quietLogger)

        // A lookup in flight holds the database it started with.
        var inFlight: GeoIPDatabase? = resolver.locationDatabase
        weak let replaced = inFlight
        try directory.replace("city.mmdb", with: .geoLite2City)
        #expect(resolver.reloadIfChanged().location.didReload)
        #expect(resolver.locationDatabase !== inFlight)
        #expect(try inFlight?.lookup(Self.sanDiego)?.accuracyRadiusKm == Self.geoIP2Accuracy)
        #expect(replaced != nil)
        inFlight = nil
        #expect(replaced == nil, "the replaced database was not released")

        // With no holder, a swap releases the old database at once.
        weak let current = resolver.locationDatabase
        try directory.replace("city.mmdb", with: .geoIP2City)
        #expect(resolver.reloadIfChanged().location.didReload)
        #expect(current == nil)
    }

    @Test("lookups from many tasks never fail while the database is swapped many times", .timeLimit(.minutes(2)))
    func concurrentSwaps() async throws {
        let directory = try TemporaryDirectory()
        let path = try directory.copy(.geoIP2City, to: "city.mmdb")
        let resolver = try GeoIPResolver(
            configuration: .init(locationDatabasePath: path, asnDatabasePath: Fixture.geoLite2ASN.path),
            logger: quietLogger)
        // Present with the same country in both City databases' source data.
        let probes: [(IPAddress, String)] = [
            (IPAddress(2, 125, 160, 216), "GB"),
            (try IPAddress.literal("::ffff:81.2.69.142"), "GB"),
            (try IPAddress.literal("2001:218::1"), "JP"),
            (IPAddress(89, 160, 20, 115), "SE"),
        ]
        let stop = StopFlag()
        let readers = 8
        let swaps = 61  // odd, so the database in service at the end differs from the first
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)

        let (lookups, failures) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<readers {
                group.addTask {
                    var lookups = 0
                    var failures = 0
                    var announced = false
                    while !stop.isStopped {
                        for (address, country) in probes {
                            let location = resolver.locate(address)
                            if location?.countryISOCode != country { failures += 1 }
                            if address == IPAddress(89, 160, 20, 115), location?.asn != 29518 { failures += 1 }
                            lookups += 1
                        }
                        if !announced {
                            announced = true
                            startedContinuation.yield()
                        }
                        if lookups % 64 == 0 { await Task.yield() }
                    }
                    return (lookups, failures)
                }
            }
            // Swap only once every reader is looking up.
            var ready = 0
            for await _ in started {
                ready += 1
                if ready == readers { break }
            }
            for swap in 0..<swaps {
                try directory.replace("city.mmdb", with: swap % 2 == 0 ? .geoLite2City : .geoIP2City)
                let outcome = resolver.reloadIfChanged()
                #expect(outcome.location.didReload, "swap \(swap): \(outcome)")
                await Task.yield()
            }
            stop.stop()
            var total = (0, 0)
            for try await (lookups, failures) in group {
                total.0 += lookups
                total.1 += failures
            }
            return total
        }
        #expect(failures == 0)
        #expect(lookups >= readers * probes.count)
        #expect(resolver.failedLookups == 0)
        #expect(resolver.locationDatabase?.metadata.databaseType == (swaps % 2 == 0 ? "GeoIP2-City" : "GeoLite2-City"))
    }

    @Test("damaged data during lookup counts as unknown and is logged once per database")
    func damagedLookups() throws {
        let (logger, logs) = capturingLogger()
        let resolver = try GeoIPResolver(
            configuration: .init(locationDatabasePath: Fixture.brokenDoubleFormat.path), logger: logger)
        #expect(resolver.locate(IPAddress(2, 125, 160, 216)) == nil)
        #expect(resolver.locate(IPAddress(2, 125, 160, 217)) == nil)
        #expect(resolver.failedLookups == 2)
        let errors = logs.entries.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["geoip.path"] == "\(Fixture.brokenDoubleFormat.path)")
    }

    @Test("the reload service picks up a new file and stops on graceful shutdown", .timeLimit(.minutes(1)))
    func service() async throws {
        let directory = try TemporaryDirectory()
        let path = try directory.copy(.geoIP2City, to: "city.mmdb")
        let resolver = try GeoIPResolver(configuration: .init(locationDatabasePath: path), logger: quietLogger)
        let (outcomes, continuation) = AsyncStream.makeStream(of: ReloadOutcome.self)
        let service = GeoIPReloadService(
            resolver: resolver, pollInterval: .milliseconds(5), onOutcome: { continuation.yield($0) })

        try await testGracefulShutdown { trigger in
            // A task of its own (it inherits the graceful-shutdown context) so that every wait below is bounded.
            let running = Task { try await service.run() }
            defer { running.cancel() }
            #expect(try await first(of: outcomes, "the first poll").location == .unchanged)
            try directory.replace("city.mmdb", with: .geoLite2City)
            try await bounded(.seconds(30), "the reload of the replaced file") {
                for await outcome in outcomes where outcome.didReload { return }
            }
            #expect(resolver.locate(Self.sanDiego)?.accuracyRadiusKm == Self.geoLite2Accuracy)
            trigger.triggerGracefulShutdown()
            try await bounded(.seconds(30), "the service stopping on graceful shutdown") { try await running.value }
        }
    }

    @Test("the reload service ends quietly on cancellation, and idles when geolocation is off", .timeLimit(.minutes(1)))
    func serviceCancellation() async throws {
        let resolver = try GeoIPResolver(
            configuration: .init(locationDatabasePath: Fixture.geoIP2City.path), logger: quietLogger)
        let polling = Task { try await GeoIPReloadService(resolver: resolver, pollInterval: .seconds(3600)).run() }
        polling.cancel()
        try await bounded(.seconds(30), "the service stopping on cancellation") { try await polling.value }

        try await testGracefulShutdown { trigger in
            let idle = Task {
                try await GeoIPReloadService(resolver: .disabled(logger: quietLogger)).run()
            }
            trigger.triggerGracefulShutdown()
            try await bounded(.seconds(30), "the idle service stopping on graceful shutdown") { try await idle.value }
        }
    }
}
