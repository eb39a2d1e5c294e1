# cmake/Dependencies.cmake: the one place third-party libraries enter the build.
# Debian packages are found with their own CMake configs; DuckDB (not in Debian) is the
# prebuilt library scripts/setup.sh put in third_party/duckdb, imported here with a
# RUNPATH to that private directory because its SONAME carries no version.

find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(simdjson REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
# The Avro C library (Debian libavro-dev) encodes Iceberg manifests (src/iceberg/).
find_package(PkgConfig REQUIRED)
pkg_check_modules(AVRO REQUIRED IMPORTED_TARGET avro-c)
# libpq: the catalog shared by many nodes lives in PostgreSQL (src/catalog/pg_catalog.h).
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)

set(DUCKDB_DIR ${CMAKE_SOURCE_DIR}/third_party/duckdb)
if(NOT EXISTS ${DUCKDB_DIR}/lib/libduckdb.so OR NOT EXISTS ${DUCKDB_DIR}/include/duckdb.h)
  message(FATAL_ERROR "DuckDB not found in ${DUCKDB_DIR}: run scripts/setup.sh (or `make setup`) first")
endif()
add_library(duckdb SHARED IMPORTED GLOBAL)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION ${DUCKDB_DIR}/lib/libduckdb.so
  IMPORTED_NO_SONAME TRUE
  INTERFACE_INCLUDE_DIRECTORIES ${DUCKDB_DIR}/include)
# Executables that link DuckDB find it through this RUNPATH, wherever the build tree is.
set(CMAKE_BUILD_RPATH ${DUCKDB_DIR}/lib)
# Installed (cmake --install), the binary finds the libduckdb.so installed with it, wherever
# the prefix is: beside it, or in <prefix>/lib/lakehouse (apps/lakehouse/CMakeLists.txt).
set(CMAKE_INSTALL_RPATH "$ORIGIN:$ORIGIN/../lib/lakehouse")

# hnswlib 0.8 headers (scripts/setup.sh); header-only. SYSTEM so its warnings do not fail
# our -Werror build, and so it is found before any /usr/include/hnswlib.
set(HNSWLIB_DIR ${CMAKE_SOURCE_DIR}/third_party/hnswlib)
if(NOT EXISTS ${HNSWLIB_DIR}/hnswlib/hnswalg.h)
  message(FATAL_ERROR "hnswlib not found in ${HNSWLIB_DIR}: run scripts/setup.sh (or `make setup`) first")
endif()
add_library(hnswlib INTERFACE IMPORTED GLOBAL)
set_target_properties(hnswlib PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${HNSWLIB_DIR}
  INTERFACE_INCLUDE_DIRECTORIES ${HNSWLIB_DIR})
if(LAKEHOUSE_SANITIZE)
  # hnswlib's SSE prefetch hints read one element past a link list (searchBaseLayer,
  # `_mm_prefetch(... *(datal + j + 1))`): harmless, but AddressSanitizer rightly reports it.
  # The sanitizer build uses hnswlib's portable kernels, which have no such prefetch.
  set_property(TARGET hnswlib PROPERTY INTERFACE_COMPILE_DEFINITIONS NO_MANUAL_VECTORIZATION)
endif()
