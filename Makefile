# berth: the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
export PATH := $(BIN):/usr/local/go/bin:$(PATH)

# Debian packages the tests drive as real peers; installed only when missing.
TEST_PACKAGES := busybox-static skopeo umoci runc podman containerd docker-registry \
	oci-image-tool libseccomp-dev containernetworking-plugins uidmap iproute2 iptables \
	curl debootstrap jq pkg-config
# What building needs: cgo for the namespace-joining shim (the joiner), and
# libseccomp for the seccomp tests, which check berth's BPF against its.
BUILD_PACKAGES := gcc libc6-dev libseccomp-dev pkg-config

# The runtime is linked statically: no dynamic loader on the container start path.
STATIC_FLAGS := -tags 'netgo osusergo' -ldflags '-s -w -extldflags -static'
# berth-runtime itself is built without cgo (a cgo binary starts ~0.5 ms
# slower, twice per container) around a cgo build of itself, the joiner,
# which it runs as the init only to join namespaces (runtime/joiner.go).
JOINER := cmd/berth-runtime/joiner.bin

.PHONY: all build deps build-deps test test-unit test-race demo bench clean fmt vet

all: build

build: build-deps
	@mkdir -p $(BIN)
	CGO_ENABLED=1 $(GO) build $(STATIC_FLAGS) -o $(BIN)/berth ./cmd/berth
	CGO_ENABLED=1 $(GO) build $(STATIC_FLAGS) -o $(JOINER) ./cmd/berth-runtime
	CGO_ENABLED=0 $(GO) build -tags 'netgo osusergo embedjoiner' -ldflags '-s -w' -o $(BIN)/berth-runtime ./cmd/berth-runtime

build-deps:
	@hack/apt-ensure $(BUILD_PACKAGES)

deps:
	@hack/apt-ensure $(BUILD_PACKAGES) $(TEST_PACKAGES)

# Every test: unit, fuzz seeds, integration against real tools; then the
# concurrency-sensitive packages again under the race detector.
test: deps build
	BERTH_BIN=$(BIN) $(GO) test -count=1 -timeout 30m ./...
	BERTH_BIN=$(BIN) $(GO) test -race -count=1 -timeout 20m $(RACE_PACKAGES)

RACE_PACKAGES = $(shell $(GO) list ./content/... ./layout/... ./image/... 2>/dev/null)

vet:
	$(GO) vet ./...

demo: build
	@hack/demo

bench: deps build
	@for b in bench/*/run; do [ -x "$$b" ] && { echo "== $$b"; "$$b" || exit 1; }; done; true

clean:
	@awk -v d="$(BIN)/" 'index($$2, d) == 1 {print $$2}' /proc/self/mounts | sort -r | xargs -r umount -l
	rm -rf $(BIN) $(JOINER)
