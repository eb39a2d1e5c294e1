# cmake/Package.cmake: `make deb` (cpack -G DEB): a Debian package of exactly what
# `cmake --install` installs, under /usr: /usr/bin/lakehouse, /usr/lib/lakehouse/libduckdb.so,
# the systemd units naming /usr/bin/lakehouse, the sysusers file, the docs. Its postinst
# creates the `lakehouse` user and reloads systemd; it does not start the service.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "lakehouse")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Lakehouse maintainers <lakehouse@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "data and AI substrate of a staffing business: datasets, SQL, vectors, validators, one binary")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_INSTALL_PREFIX "/usr")  # the prefix the install runs with (CPACK_SET_DESTDIR)
# The install rules rewrite the units for CMAKE_INSTALL_PREFIX: install with DESTDIR so that
# prefix is /usr, not the staging directory.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_COMPRESSION_TYPE "gzip")
# The shared libraries the binary links (libcurl, OpenSSL, spdlog, fmt, ICU, ...), found by
# dpkg-shlibdeps; libduckdb.so ships inside the package.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${DUCKDB_DIR}/lib)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/packaging/deb/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
