# loghunt: the two commands of the README, and a few more for developers.
#   make demo   install deps if missing, build, run the demo (prints alerts)
#   make test   install deps if missing, build with -Werror, run every test
# Other targets: build, unit, corpus, integration, asan, fuzz, bench, deb, clean.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build demo test unit corpus integration asan fuzz bench clean

all: build

deps:
	@tools/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DLOGHUNT_WERROR=ON $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j$(JOBS)

demo: build
	tools/demo $(BUILD)/loghuntd

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 900

unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L unit

corpus: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L corpus

integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOGHUNT_WERROR=ON \
	  -DLOGHUNT_SANITIZE=ON -DLOGHUNT_BENCH=OFF $(CMAKE_ARGS)
	ninja -C $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j$(JOBS) -L unit

# libFuzzer builds of tests/fuzz/*_fuzz.cc (clang); run them by hand, see README.
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DLOGHUNT_FUZZ=ON -DLOGHUNT_BENCH=OFF $(CMAKE_ARGS)
	ninja -C $(FUZZ_BUILD) -j$(JOBS) $$(cd tests/fuzz && ls *_fuzz.cc | sed 's/\.cc$$//')

bench: build
	$(BUILD)/loghunt-bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
