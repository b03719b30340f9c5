# cachedhttp: `make test` installs and starts the servers the backend tests
# need (scripts/services.sh, idempotent), then vets and runs every test with
# the race detector. A missing server fails the tests under `make test`.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 30s
BENCHCOUNT ?= 10
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

test: services fmt-check vet
	set -euo pipefail; eval "$$(bash scripts/services.sh env)"; export CACHEDHTTP_SERVICES=1; \
	$(GO) test -race -count=1 -timeout 20m ./...
	$(MAKE) bench-smoke

# The benchmarks live in their own module (bench/) so that the peers they
# compare against never enter the library's go.mod.
bench-smoke:
	@if [ -f bench/go.mod ]; then set -euo pipefail; eval "$$(bash scripts/services.sh env)"; \
	cd bench && $(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./...; fi

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
