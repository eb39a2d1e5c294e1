// src/staffing/taxonomy.h: the staffing domain's reference data.
//
// ~40 staffing roles with their skills, certifications, pay bands and how common they are;
// ~200 US cities with coordinates. The generator draws from these tables, and later the
// role extractor, validators and retrieval read the same tables, so "forklift operator"
// means one thing everywhere.
//
// Thread-safety: immutable static data.
#pragma once

#include <span>
#include <string_view>

namespace lakehouse::staffing {

struct Role {
  std::string_view name;                       // canonical, lower case: "forklift operator"
  std::span<const std::string_view> synonyms;  // other names coordinators use
  std::span<const std::string_view> skills;
  std::span<const std::string_view> certifications;
  double pay_low;  // USD per hour
  double pay_high;
  int weight;  // relative frequency in the roster
  bool nights_common;
};

struct City {
  std::string_view name;
  std::string_view state;  // two-letter code
  double lat;
  double lon;
  int weight;  // relative size of the labor market
};

std::span<const Role> Roles();
std::span<const City> Cities();
//! The role with this canonical name, or nullptr.
const Role* FindRole(std::string_view name);

//! The mean radius HaversineMiles assumes.
inline constexpr double kEarthRadiusMiles = 3958.8;
//! Great-circle distance in miles.
double HaversineMiles(double lat1, double lon1, double lat2, double lon2);

}  // namespace lakehouse::staffing
