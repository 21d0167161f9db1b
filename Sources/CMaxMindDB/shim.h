#ifndef EDGE_GEOIP_CMAXMINDDB_SHIM_H
#define EDGE_GEOIP_CMAXMINDDB_SHIM_H

#include <maxminddb.h>

// MMDB_get_value is variadic and cannot be called from Swift, so every field the
// GeoIP module reads goes through MMDB_aget_value with a NULL-terminated path.
// The paths live in function-local static arrays: they are built once by the C
// compiler, so a lookup never allocates a path array per call.

/// `country.iso_code` (UTF-8 string, ISO 3166-1 alpha-2).
static inline int geoip_get_country_iso_code(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"country", "iso_code", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `continent.code` (UTF-8 string, two letters).
static inline int geoip_get_continent_code(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"continent", "code", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `subdivisions.0.iso_code`: the first (largest) subdivision.
static inline int geoip_get_subdivision_iso_code(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"subdivisions", "0", "iso_code", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `city.names.en`.
static inline int geoip_get_city_name_en(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"city", "names", "en", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `location` (map): the three location fields are read relative to it.
static inline int geoip_get_location(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"location", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `latitude` (double), relative to the `location` map.
static inline int geoip_get_latitude(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"latitude", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `longitude` (double), relative to the `location` map.
static inline int geoip_get_longitude(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"longitude", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `accuracy_radius` (uint16, kilometres), relative to the `location` map.
static inline int geoip_get_accuracy_radius(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"accuracy_radius", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `autonomous_system_number` (uint32), in ASN and ISP databases.
static inline int geoip_get_autonomous_system_number(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"autonomous_system_number", NULL};
    return MMDB_aget_value(entry, out, path);
}

/// `autonomous_system_organization` (UTF-8 string), in ASN and ISP databases.
static inline int geoip_get_autonomous_system_organization(MMDB_entry_s *entry, MMDB_entry_data_s *out) {
    static const char *const path[] = {"autonomous_system_organization", NULL};
    return MMDB_aget_value(entry, out, path);
}

#endif
