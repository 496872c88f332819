# Fresh-machine entry points: `make demo` and `make test` install what is missing first.
SHELL := /bin/bash
SWIFT_FLAGS ?=

.PHONY: deps build demo test test-lab bench-sync bench-health fuzz clean

deps:
	@scripts/install-deps

build: deps
	swift build $(SWIFT_FLAGS)

demo: build
	@Integrations/demo/run-demo .build/debug/xapi-git

# Builds, runs the lab's own tests, then starts a private lab, runs the Swift tests and stops the lab.
test: deps
	swift build --build-tests $(SWIFT_FLAGS)
	python3 -m unittest discover Integrations/lab/tests
	@scripts/with-lab scripts/run-swift-tests $(SWIFT_FLAGS)

# Runs every fuzz target for FUZZ_SECONDS seconds each (default 60) on its corpus in Fuzz/Corpus.
fuzz: deps
	@scripts/fuzz

# Seven syncs of a 4 MB OpenAPI file into a lab repository with history, beside two git command line workflows.
bench-sync: deps
	@[ -x /usr/bin/time ] || $$([ "$$(id -u)" -eq 0 ] || echo sudo) apt-get install -y -qq --no-install-recommends time
	swift build -c release --product xapi-git $(SWIFT_FLAGS)
	scripts/bench-sync --binary "$$(swift build -c release --show-bin-path $(SWIFT_FLAGS))/xapi-git"

# Batch health against the lab with 50 ms latency: 1,000 and 10,000 integrations, beside curl --parallel.
bench-health: deps
	swift build -c release --product xapi-git $(SWIFT_FLAGS)
	scripts/bench-health --binary "$$(swift build -c release --show-bin-path $(SWIFT_FLAGS))/xapi-git"

clean:
	rm -rf .build
