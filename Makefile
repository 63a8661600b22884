# halvs — targets a newcomer can guess. Root-only targets say so.
GO       ?= go
BIN      := bin/halvs
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  := -s -w -X main.version=$(VERSION)

.PHONY: all build test integration vm-test bench demo demo-ecmp lint fuzz clean deps

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/halvs

# Unit tests; tests that need root and a network namespace skip themselves without root.
test:
	$(GO) test -count=1 ./...

# Host integration: network namespaces, veth, a bridge and the real keepalived (root).
# The root targets install their Debian packages first (deps; quick when present).
# HALVS_SOAK=1: TestSoak's 20 s version (make bench runs 120 s, and keepalived beside it).
integration: deps build
	HALVS_SOAK=1 $(GO) test -count=1 -p 1 -tags integration -timeout 20m ./integration/...

# VM tier: Debian's cloud kernel under qemu with real IPVS (root; downloads into a cache).
vm-test: deps
	integration/vm/run.sh

bench: deps build
	scripts/bench.sh

# The reference scenario end to end, narrated (root).
demo: deps build
	scripts/demo.sh

# Beyond a pair: three active directors behind a BGP/ECMP router (BIRD), narrated (root).
demo-ecmp: deps build
	scripts/demo-ecmp.sh

# Each fuzz target for FUZZTIME (default 1m); crashers land in the package's testdata/fuzz.
FUZZTIME ?= 1m
fuzz:
	$(GO) test ./config -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) -fuzzminimizetime 2s
	$(GO) test ./config/keepalivedconf -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME) -fuzzminimizetime 2s
	$(GO) test ./vrrp -run '^$$' -fuzz FuzzUnmarshalMarshal -fuzztime $(FUZZTIME) -fuzzminimizetime 2s

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags integration ./integration/...
	$(GO) vet -tags halvs_memipvs ./cmd/halvs
	$(GO) vet -tags vmtest ./integration/vm/ ./lvs/

# Debian packages for the root targets and CI (make, git, keepalived, qemu, ...; root).
deps:
	scripts/install-deps.sh

clean:
	rm -rf bin
