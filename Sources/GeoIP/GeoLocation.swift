/// What the databases know about one address. Every field is optional: databases differ
/// in what they hold (a Country database has no city, a City record may lack a subdivision,
/// only an ASN database has `asn`).
public struct GeoLocation: Sendable, Hashable {
    /// ISO 3166-1 alpha-2 country code (`GB`), from `country.iso_code`.
    public var countryISOCode: String?
    /// Two-letter continent code (`EU`), from `continent.code`.
    public var continentCode: String?
    /// ISO 3166-2 code of the first (largest) subdivision without the country part (`ENG`),
    /// from `subdivisions[0].iso_code`.
    public var subdivisionISOCode: String?
    /// The English name of the city (`London`), from `city.names.en`.
    public var cityName: String?
    /// Latitude in degrees, from `location.latitude`.
    public var latitude: Double?
    /// Longitude in degrees, from `location.longitude`.
    public var longitude: Double?
    /// Radius in kilometres around the coordinates where the address likely is,
    /// from `location.accuracy_radius`.
    public var accuracyRadiusKm: Int?
    /// Autonomous system number, from `autonomous_system_number` (ASN database).
    public var asn: UInt32?
    /// Autonomous system organisation, from `autonomous_system_organization` (ASN database).
    public var asOrganization: String?

    /// Creates a location; every field defaults to unknown.
    public init(
        countryISOCode: String? = nil,
        continentCode: String? = nil,
        subdivisionISOCode: String? = nil,
        cityName: String? = nil,
        latitude: Double? = nil,
        longitude: Double? = nil,
        accuracyRadiusKm: Int? = nil,
        asn: UInt32? = nil,
        asOrganization: String? = nil
    ) {
        self.countryISOCode = countryISOCode
        self.continentCode = continentCode
        self.subdivisionISOCode = subdivisionISOCode
        self.cityName = cityName
        self.latitude = latitude
        self.longitude = longitude
        self.accuracyRadiusKm = accuracyRadiusKm
        self.asn = asn
        self.asOrganization = asOrganization
    }

    /// Both coordinates, when the database has them.
    public var coordinates: (latitude: Double, longitude: Double)? {
        guard let latitude, let longitude else { return nil }
        return (latitude, longitude)
    }

    /// Takes the autonomous-system fields from `other` (the ASN database's answer) and keeps
    /// the location fields of `self`.
    func mergingAutonomousSystem(from other: GeoLocation) -> GeoLocation {
        var merged = self
        merged.asn = other.asn
        merged.asOrganization = other.asOrganization
        return merged
    }
}
