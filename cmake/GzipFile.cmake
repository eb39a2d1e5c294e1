# cmake/GzipFile.cmake: gzip IN (relative to the working directory) into GZ (cmake -P script).
file(ARCHIVE_CREATE OUTPUT "${GZ}" PATHS "${IN}" FORMAT raw COMPRESSION GZip COMPRESSION_LEVEL 9)
