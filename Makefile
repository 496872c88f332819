# Fresh-machine entry points: `make demo` and `make test` install what is missing first.
SHELL := /bin/bash
SWIFT_FLAGS ?=

.PHONY: deps build demo test test-lab bench-sync bench-health clean

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
	@scripts/with-lab swift test --skip-build $(SWIFT_FLAGS)

clean:
	rm -rf .build
