# The two commands of the README:
#   make run    install what is missing, build, mount plugfs on $(MNT) (foreground);
#               INSTANCE=NAME|DIR runs a private instance instead (plugfs --instance)
#   make test   install what is missing, build with -Werror, run every test suite
BUILD    ?= build
MNT      ?= /run/plugfs/mnt
FUZZ_SECONDS ?= 60
MESON_OPTS ?=
# make -jN (or JOBS=N) sets the compile's parallelism; meson's default otherwise.
JOBS ?= $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS)))
NINJA_JOBS = $(if $(JOBS),-j $(JOBS))

.PHONY: all deps build run test unit conformance integration fuzz bench clean install

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --werror $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD) $(NINJA_JOBS)

run: build
ifdef INSTANCE
	$(BUILD)/fs/plugfs -f --instance $(INSTANCE) $(PLUGFS_OPTS)
else
	mkdir -p $(MNT)
	$(BUILD)/fs/plugfs -f $(PLUGFS_OPTS) $(MNT)
endif

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 \
		--suite unit --suite conformance --suite integration
	$(MAKE) fuzz

unit conformance integration: build
	meson test -C $(BUILD) --print-errorlogs --suite $@

# libFuzzer targets need clang; they live in their own build directory.
# -Werror is enforced by the gcc build above, not by this one.
fuzz: deps
	[ -f $(BUILD)-fuzz/build.ninja ] || CC=clang meson setup $(BUILD)-fuzz -Dfuzz=true $(MESON_OPTS)
	meson compile -C $(BUILD)-fuzz $(NINJA_JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./tests/fuzz/run-fuzzers.sh $(BUILD)-fuzz

bench: build
	meson test -C $(BUILD) --benchmark --print-errorlogs --verbose

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
