# Lakehouse: the common tasks are one word (like DuckDB's own Makefile).
#   make run     install what running needs (scripts/setup.sh run), build the binary only,
#                generate demo data if ./data is empty, serve 127.0.0.1:3100
#   make test    install what tests need too (scripts/setup.sh test), build everything
#                (binary, tests, benchmarks), run the suite (ctest)
#   make install [PREFIX=/usr/local]   the binary + libduckdb.so, systemd units, docs
#   make deb     the same as a Debian package (build/lakehouse_<version>_amd64.deb)
#   make test-asan   the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench   benchmarks (see docs/BENCHMARKS.md)
#   make fuzz    libFuzzer over the parsers we own (FUZZ_SECONDS, default 60)
#   make check-threads   build with clang -Wthread-safety: every LH_GUARDED_BY holds
#   make format / format-check

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
CLANG_DIR ?= build-clang
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ROOT ?= ./data
CTEST_ARGS ?=

PREFIX ?= /usr/local

.PHONY: all setup setup-run configure build binary run install deb test test-asan check-threads bench fuzz format format-check clean

all: build

# Everything: building, running, tests, benchmarks, CI tools.
setup:
	@bash scripts/setup.sh test

# Only what building and running the binary needs.
setup-run:
	@bash scripts/setup.sh run

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

# Configured again each time, cheaply, so test packages installed after a `make run` are found.
configure: setup $(BUILD_DIR)/build.ninja
	@cmake $(BUILD_DIR) > /dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only build/lakehouse: a newcomer's first `make run` does not wait for the test suite, nor
# install what only tests use.
binary: setup-run $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target lakehouse

run: binary
	./$(BUILD_DIR)/lakehouse serve --root $(ROOT) --demo

# The binary (with libduckdb.so in $(PREFIX)/lib/lakehouse), the systemd units and user,
# the docs: runnable from any directory (docs/SHIPPING.md).
install: binary
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# A Debian package of what `make install` installs, under /usr (cmake/Package.cmake):
# $(BUILD_DIR)/lakehouse_<version>_amd64.deb.
deb: binary
	cd $(BUILD_DIR) && cpack -G DEB

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

test-asan: setup
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLAKEHOUSE_SANITIZE=ON -DLAKEHOUSE_BUILD_BENCH=OFF
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS) -E '^Reality\.' $(CTEST_ARGS)

# Clang's thread-safety analysis over the whole binary (src/core/thread_annotations.h): a
# member read or written without the mutex that guards it fails the build.
check-threads: setup
	cmake -S . -B $(CLANG_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 \
		-DLAKEHOUSE_BUILD_TESTS=OFF -DLAKEHOUSE_BUILD_BENCH=OFF
	cmake --build $(CLANG_DIR) -j $(JOBS) --target lakehouse

bench: build
	bash scripts/bench.sh

fuzz: setup
	bash scripts/fuzz.sh

FORMAT_FILES = $(shell git ls-files '*.cc' '*.h')

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(CLANG_DIR) build-fuzz
