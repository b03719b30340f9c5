# cachedhttp: `make test` installs and starts the servers the backend tests
# need (scripts/services.sh, idempotent), then vets and runs every test with
# the race detector. A missing server fails the tests under `make test`.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 30s
BENCHCOUNT ?= 5
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: all test services services-stop services-status vet fmt-check lint fuzz bench bench-smoke demo

all: test

services:
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

services-status:
	bash scripts/services.sh status

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# go test -json goes through scripts/testsummary, which prints a line per
# package, then the output of each failure, then the closing line
# "root: N passed, N failed, N skipped"; the exit status is go test's. The
# benchmark smoke run after it prints nothing unless it fails, so that the
# closing line stays the last.
test: services fmt-check vet
	@set -euo pipefail; eval "$$(bash scripts/services.sh env)"; export CACHEDHTTP_SERVICES=1; \
	bin=$$(mktemp -d); trap 'rm -rf "$$bin"' EXIT; \
	$(GO) build -o "$$bin/testsummary" ./scripts/testsummary; \
	echo "go test -race -count=1 -timeout 20m ./..."; \
	$(GO) test -json -race -count=1 -timeout 20m ./... | "$$bin/testsummary" -label root
	@$(MAKE) --no-print-directory bench-smoke

# The benchmarks live in their own module (bench/) so that the peers they
# compare against never enter the library's go.mod. One iteration of each,
# to prove they run, and the module's tests (the summary tool's): the
# output is shown only when one fails.
bench-smoke:
	@if [ -f bench/go.mod ]; then set -euo pipefail; eval "$$(bash scripts/services.sh env)"; \
	log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	if ! (cd bench && $(GO) test -mod=mod -bench . -benchtime 1x -count 1 ./...) >"$$log" 2>&1; then \
	  cat "$$log"; echo "bench-smoke: the benchmark smoke run failed (output above)"; exit 1; fi; fi

bench: services
	set -euo pipefail; eval "$$(bash scripts/services.sh env)"; bash bench/run.sh $(BENCHCOUNT)

lint: fmt-check vet
	@test -x $(STATICCHECK) || GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	$(STATICCHECK) ./...

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@set -euo pipefail; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

demo:
	$(GO) run ./cmd/cachedhttp demo
