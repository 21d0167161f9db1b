import Foundation
import GeoIP
import Testing

// Expected answers come from MaxMind's source data for the test databases:
// /work/shared/geoip/GeoIP2-City-Test.json and GeoLite2-City-Test.json, and, for the Country
// and ASN databases, source-data/GeoLite2-Country-Test.json and GeoLite2-ASN-Test.json in the
// maxmind/MaxMind-DB repository (see Fixtures/README.md).

/// One expected City answer.
struct CityCase: Sendable, CustomTestStringConvertible {
    let ip: String
    let location: GeoLocation

    var testDescription: String { ip }
}

@Suite("GeoIPDatabase", .timeLimit(.minutes(5)))
struct GeoIPDatabaseTests {
    static let geoIP2CityCases: [CityCase] = [
        // "::2.125.160.216/125"
        CityCase(
            ip: "2.125.160.216",
            location: GeoLocation(
                countryISOCode: "GB", continentCode: "EU", subdivisionISOCode: "ENG", cityName: "Boxford",
                latitude: 51.75, longitude: -1.25, accuracyRadiusKm: 100)),
        // "::81.2.69.142/127"
        CityCase(
            ip: "81.2.69.142",
            location: GeoLocation(
                countryISOCode: "GB", continentCode: "EU", subdivisionISOCode: "ENG", cityName: "London",
                latitude: 51.5142, longitude: -0.0931, accuracyRadiusKm: 10)),
        // "::81.2.69.160/123"
        CityCase(
            ip: "81.2.69.170",
            location: GeoLocation(
                countryISOCode: "GB", continentCode: "EU", subdivisionISOCode: "ENG", cityName: "London",
                latitude: 51.5142, longitude: -0.0931, accuracyRadiusKm: 100)),
        // "::216.160.83.56/125"
        CityCase(
            ip: "216.160.83.58",
            location: GeoLocation(
                countryISOCode: "US", continentCode: "NA", subdivisionISOCode: "WA", cityName: "Milton",
                latitude: 47.2513, longitude: -122.3149, accuracyRadiusKm: 22)),
        // "::89.160.20.112/124": a city name that is not ASCII
        CityCase(
            ip: "89.160.20.112",
            location: GeoLocation(
                countryISOCode: "SE", continentCode: "EU", subdivisionISOCode: "E", cityName: "Linköping",
                latitude: 58.4167, longitude: 15.6167, accuracyRadiusKm: 76)),
        // "::175.16.199.0/120": a numeric subdivision code
        CityCase(
            ip: "175.16.199.1",
            location: GeoLocation(
                countryISOCode: "CN", continentCode: "AS", subdivisionISOCode: "22", cityName: "Changchun",
                latitude: 43.88, longitude: 125.3228, accuracyRadiusKm: 100)),
        // "::67.43.156.0/120": country level only
        CityCase(
            ip: "67.43.156.1",
            location: GeoLocation(
                countryISOCode: "BT", continentCode: "AS", latitude: 27.5, longitude: 90.5, accuracyRadiusKm: 534)),
        // "::214.0.1.0/120"
        CityCase(
            ip: "214.0.1.77",
            location: GeoLocation(
                countryISOCode: "AU", continentCode: "OC", subdivisionISOCode: "VIC", cityName: "Melbourne",
                latitude: -37.8159, longitude: 144.9669, accuracyRadiusKm: 20)),
        // "::2.3.3.0/120": only a continent
        CityCase(ip: "2.3.3.3", location: GeoLocation(continentCode: "EU")),
        // "214.1.1.0/24": found, but holds only traits
        CityCase(ip: "214.1.1.1", location: GeoLocation()),
        // IPv6: "2001:218::/32"
        CityCase(
            ip: "2001:218::1",
            location: GeoLocation(
                countryISOCode: "JP", continentCode: "AS", latitude: 35.68536, longitude: 139.75309,
                accuracyRadiusKm: 100)),
        // IPv6: "2001:218::/32", the far end of the block
        CityCase(
            ip: "2001:218:ffff:ffff:ffff:ffff:ffff:ffff",
            location: GeoLocation(
                countryISOCode: "JP", continentCode: "AS", latitude: 35.68536, longitude: 139.75309,
                accuracyRadiusKm: 100)),
        // IPv6: "2001:220::/32"
        CityCase(
            ip: "2001:220::abcd",
            location: GeoLocation(
                countryISOCode: "KR", continentCode: "AS", latitude: 37, longitude: 127.5, accuracyRadiusKm: 100)),
        // IPv6: "2001:480:10::/48"
        CityCase(
            ip: "2001:480:10::1",
            location: GeoLocation(
                countryISOCode: "US", continentCode: "NA", subdivisionISOCode: "CA", cityName: "San Diego",
                latitude: 32.7203, longitude: -117.1552, accuracyRadiusKm: 20)),
        // IPv6: "2a02:d500::/29": a continent and coordinates, no country
        CityCase(
            ip: "2a02:d500::1",
            location: GeoLocation(continentCode: "EU", latitude: 48.69096, longitude: 9.14062, accuracyRadiusKm: 100)),
        // IPv4-mapped form of "::2.125.160.216/125"
        CityCase(
            ip: "::ffff:2.125.160.217",
            location: GeoLocation(
                countryISOCode: "GB", continentCode: "EU", subdivisionISOCode: "ENG", cityName: "Boxford",
                latitude: 51.75, longitude: -1.25, accuracyRadiusKm: 100)),
    ]

    @Test("GeoIP2-City-Test answers as its source data says", arguments: geoIP2CityCases)
    func geoIP2City(_ expected: CityCase) throws {
        let database = try Fixture.geoIP2City.open()
        let found = try database.lookup(try IPAddress.literal(expected.ip))
        #expect(found == expected.location)
    }

    @Test("GeoLite2-City-Test answers as its source data says")
    func geoLite2City() throws {
        let database = try Fixture.geoLite2City.open()
        // "2.125.160.216/29"
        #expect(
            try database.lookup(IPAddress(2, 125, 160, 222))
                == GeoLocation(
                    countryISOCode: "GB", continentCode: "EU", subdivisionISOCode: "ENG", cityName: "Boxford",
                    latitude: 51.75, longitude: -1.25, accuracyRadiusKm: 100))
        // "214.78.0.0/19" (not in GeoIP2-City-Test, which has "214.78.120.0/22" instead)
        #expect(
            try database.lookup(IPAddress(214, 78, 1, 1))
                == GeoLocation(
                    countryISOCode: "US", continentCode: "NA", subdivisionISOCode: "CA", cityName: "San Diego",
                    latitude: 32.6783, longitude: -117.1291, accuracyRadiusKm: 10))
        // "2001:480::/43" (GeoIP2-City-Test has a /48 inside it with accuracy 20: the tests of hot
        // reload tell the databases apart by that)
        #expect(
            try database.lookup(IPAddress.literal("2001:480:1f::1"))
                == GeoLocation(
                    countryISOCode: "US", continentCode: "NA", subdivisionISOCode: "CA", cityName: "San Diego",
                    latitude: 32.7203, longitude: -117.1552, accuracyRadiusKm: 50))
    }

    @Test("GeoLite2-Country-Test gives countries and no city")
    func geoLite2Country() throws {
        let database = try Fixture.geoLite2Country.open()
        #expect(database.metadata.kind == .country)
        // "2.125.160.216/29", "111.235.160.0/22", "50.114.0.0/22"
        #expect(
            try database.lookup(IPAddress(2, 125, 160, 216)) == GeoLocation(countryISOCode: "GB", continentCode: "EU"))
        #expect(
            try database.lookup(IPAddress(111, 235, 160, 1)) == GeoLocation(countryISOCode: "CN", continentCode: "AS"))
        #expect(try database.lookup(IPAddress(50, 114, 0, 1)) == GeoLocation(countryISOCode: "US", continentCode: "NA"))
    }

    @Test("GeoLite2-ASN-Test gives autonomous systems")
    func geoLite2ASN() throws {
        let database = try Fixture.geoLite2ASN.open()
        #expect(database.metadata.kind == .asn)
        // "1.128.0.0/11"
        #expect(
            try database.lookup(IPAddress(1, 128, 0, 1)) == GeoLocation(asn: 1221, asOrganization: "Telstra Pty Ltd"))
        // "2600:7000::/24"
        #expect(
            try database.lookup(IPAddress.literal("2600:7000::1"))
                == GeoLocation(asn: 6939, asOrganization: "Hurricane Electric, Inc."))
        // "::12.81.96.0/115": a number without an organisation
        #expect(try database.lookup(IPAddress(12, 81, 96, 1)) == GeoLocation(asn: 7018))
        // "2001:218::/32" is a City entry, not an ASN one
        #expect(try database.lookup(IPAddress.literal("2001:218::1")) == nil)
    }

    @Test(
        "addresses the database does not know are nil, not errors",
        arguments: ["1.1.1.1", "127.0.0.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "::", "fe80::1"])
    func notFound(text: String) throws {
        let database = try Fixture.geoIP2City.open()
        #expect(try database.lookup(try IPAddress.literal(text)) == nil)
    }

    @Test("an IPv4-only database finds IPv4 and IPv4-mapped addresses, and nothing for IPv6")
    func ipv4OnlyDatabase() throws {
        let database = try Fixture.ipv4Only.open()
        #expect(database.metadata.ipVersion == 4)
        // A "Test" database has none of our fields: found, but empty.
        #expect(try database.lookup(IPAddress(1, 1, 1, 1)) == GeoLocation())
        #expect(try database.lookup(IPAddress.literal("::ffff:1.1.1.1")) == GeoLocation())
        #expect(try database.lookup(IPAddress(2, 2, 2, 2)) == nil)
        #expect(try database.lookup(IPAddress.literal("2001:db8::1")) == nil)
    }

    @Test("metadata is read from the file")
    func metadata() throws {
        let city = try Fixture.geoIP2City.open()
        #expect(city.metadata.databaseType == "GeoIP2-City")
        #expect(city.metadata.kind == .city)
        #expect(city.metadata.ipVersion == 6)
        #expect(city.metadata.recordSize == 28)
        #expect(city.metadata.binaryFormatMajorVersion == 2)
        #expect(city.metadata.languages.contains("en"))
        #expect(city.metadata.descriptions["en"]?.isEmpty == false)
        // Built after MaxMind DB v2 existed (2013) and not in the future.
        #expect(city.metadata.buildEpoch > 1_373_571_901)
        #expect(city.metadata.buildEpoch < UInt64(Date().timeIntervalSince1970) + 86_400)
        #expect(city.path == Fixture.geoIP2City.path)

        #expect(try Fixture.geoLite2City.open().metadata.databaseType == "GeoLite2-City")
        #expect(try Fixture.geoLite2ASN.open().metadata.databaseType == "GeoLite2-ASN")
        #expect(try Fixture.brokenPointers.open().metadata.databaseType == "Test")
    }

    @Test("database kinds are judged from the type name")
    func kinds() {
        #expect(DatabaseKind(databaseType: "GeoIP2-City") == .city)
        #expect(DatabaseKind(databaseType: "GeoIP2-Enterprise") == .city)
        #expect(DatabaseKind(databaseType: "DBIP-City-Lite") == .city)
        #expect(DatabaseKind(databaseType: "GeoLite2-Country") == .country)
        #expect(DatabaseKind(databaseType: "GeoLite2-ASN") == .asn)
        #expect(DatabaseKind(databaseType: "GeoIP2-ISP") == .asn)
        #expect(DatabaseKind(databaseType: "GeoIP2-Anonymous-IP") == .other)
    }

    // MARK: - Broken databases

    @Test("GeoIP2-City-Test-Broken-Double-Format: opens, then a lookup of a damaged record throws")
    func brokenDoubleFormat() throws {
        let database = try Fixture.brokenDoubleFormat.open()
        let error = try #require(throws: GeoIPError.self) {
            try database.lookup(IPAddress(2, 125, 160, 216))
        }
        #expect(error.code == .corruptData)
        #expect(error.path == Fixture.brokenDoubleFormat.path)
        #expect(error.message.contains(Fixture.brokenDoubleFormat.path))
        #expect(error.message.contains("2.125.160.216"))
        #expect(error.message.contains("bad data"))
    }

    @Test("MaxMind-DB-test-broken-pointers-24: bad data pointer and bad tree pointer both throw")
    func brokenPointers() throws {
        let database = try Fixture.brokenPointers.open()
        // Records untouched by the damage still work.
        #expect(try database.lookup(IPAddress(1, 1, 1, 1)) == GeoLocation())
        let data = try #require(throws: GeoIPError.self) { try database.lookup(IPAddress(1, 1, 1, 16)) }
        #expect(data.code == .corruptData)
        #expect(data.message.contains(Fixture.brokenPointers.path))
        let tree = try #require(throws: GeoIPError.self) { try database.lookup(IPAddress(1, 1, 1, 32)) }
        #expect(tree.code == .corruptSearchTree)
        #expect(tree.message.contains("search tree is corrupt"))
        #expect(tree.message.contains(Fixture.brokenPointers.path))
    }

    @Test("MaxMind-DB-test-broken-search-tree-24: the damaged branch throws")
    func brokenSearchTree() throws {
        let database = try Fixture.brokenSearchTree.open()
        #expect(try database.lookup(IPAddress(1, 1, 1, 1)) == GeoLocation())
        let error = try #require(throws: GeoIPError.self) { try database.lookup(IPAddress(255, 255, 255, 255)) }
        #expect(error.code == .corruptData)
        #expect(error.message.contains(Fixture.brokenSearchTree.path))
    }

    @Test(
        "every database answers every address with a value, nil or a GeoIPError, never a crash",
        arguments: Fixture.allCases)
    func sweep(_ fixture: Fixture) throws {
        let database = try fixture.open()
        var random = SplitMix64(seed: 42)
        // Addresses with records in the test databases, so that every database finds some.
        var addresses: [IPAddress] = try [
            "2.125.160.216", "2.3.3.3", "81.2.69.142", "89.160.20.112", "175.16.199.1", "1.128.0.1", "2001:218::1",
            "2001:480:10::1", "2600:7000::1", "1.1.1.1", "1.1.1.16", "1.1.1.32", "255.255.255.255",
        ].map { try IPAddress.literal($0) }
        // All of 1.1.1.0/24 (where the MaxMind-DB test records live), every /12 of IPv4, the
        // IPv4-mapped forms, and random IPv6 in the allocated ranges.
        for last in 0...255 { addresses.append(IPAddress(1, 1, 1, UInt8(last))) }
        for high in stride(from: 0, through: UInt32.max - (1 << 20) + 1, by: 1 << 20) {
            addresses.append(IPAddress(ipv4: high | UInt32(truncatingIfNeeded: random.next()) & 0xF_FFFF))
        }
        for _ in 0..<2_000 {
            let value = UInt128(0x2000 | random.next() % 0x1000) << 112 | UInt128(random.next()) << 48
            addresses.append(IPAddress(ipv6: value))
        }
        var outcomes = (found: 0, missing: 0, errors: 0)
        for address in addresses {
            do {
                if try database.lookup(address) != nil {
                    outcomes.found += 1
                } else {
                    outcomes.missing += 1
                }
            } catch {
                outcomes.errors += 1
                #expect(error.message.contains(fixture.path))
                #expect([.corruptData, .corruptSearchTree].contains(error.code))
            }
        }
        #expect(outcomes.found + outcomes.missing + outcomes.errors == addresses.count)
        #expect(outcomes.found > 0)
        if fixture == .brokenDoubleFormat || fixture == .brokenPointers {
            #expect(outcomes.errors > 0)
        }
    }

    // MARK: - Files that are not databases

    @Test("a missing file is named in the error")
    func missingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("nope.mmdb")
        let error = try #require(throws: GeoIPError.self) { try GeoIPDatabase(path: path) }
        #expect(error.code == .fileNotFound)
        #expect(error.path == path)
        #expect(error.message == "cannot open GeoIP database '\(path)': No such file or directory")
    }

    @Test("a garbage file is not a database")
    func garbageFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("garbage.mmdb")
        var random = SplitMix64(seed: 7)
        try Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: GeoIPError.self) { try GeoIPDatabase(path: path) }
        #expect(error.code == .invalidDatabase)
        #expect(error.message.contains(path))
        #expect(error.message.contains("invalid metadata"))
    }

    @Test("a truncated database is not a database")
    func truncatedFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("truncated.mmdb")
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixture.geoIP2City.path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: GeoIPError.self) { try GeoIPDatabase(path: path) }
        #expect(error.code == .invalidDatabase)
        #expect(error.message.contains(path))
    }

    @Test("an empty file is not a database")
    func emptyFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("empty.mmdb")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let error = try #require(throws: GeoIPError.self) { try GeoIPDatabase(path: path) }
        #expect(error.code == .invalidDatabase)
        #expect(error.message == "invalid GeoIP database '\(path)': the file is empty")
    }

    @Test("a directory or a FIFO is refused without blocking")
    func notARegularFile() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(throws: GeoIPError.self) { try GeoIPDatabase(path: directory.path) }
        #expect(error.code == .fileUnreadable)
        #expect(error.message == "cannot open GeoIP database '\(directory.path)': it is a directory")

        let fifo = directory.file("fifo.mmdb")
        #expect(mkfifo(fifo, 0o600) == 0)
        let fifoError = try #require(throws: GeoIPError.self) { try GeoIPDatabase(path: fifo) }
        #expect(fifoError.code == .fileUnreadable)
        #expect(fifoError.message.contains(fifo))
    }

    @Test("an unreadable file is named in the error", .enabled(if: geteuid() != 0, "root reads any file"))
    func unreadableFile() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.copy(.geoIP2City, to: "locked.mmdb")
        #expect(chmod(path, 0) == 0)
        let error = try #require(throws: GeoIPError.self) { try GeoIPDatabase(path: path) }
        #expect(error.code == .permissionDenied)
        #expect(error.message == "cannot open GeoIP database '\(path)': Permission denied")
    }

    @Test("a database keeps working after its file is renamed over and deleted")
    func survivesReplacement() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.copy(.geoIP2City, to: "city.mmdb")
        let database = try GeoIPDatabase(path: path)
        try directory.replace("city.mmdb", with: .geoLite2Country)
        try FileManager.default.removeItem(atPath: path)
        #expect(try database.lookup(IPAddress(81, 2, 69, 142))?.cityName == "London")
    }
}
