# Zhihui build and test entry points. `make test` is what CI runs.
GO ?= go
PG_DSN ?= postgres://postgres@127.0.0.1:5432/test
export ZHIHUI_TEST_POSTGRES ?= $(PG_DSN)
export ZHIHUI_REQUIRE_BROWSER ?= 1
export CGO_ENABLED ?= 0

.PHONY: all build test test-short deps chromium postgres vet fuzz bench bench-tests clean

all: build

build:
	$(GO) build -trimpath -o zhihui ./cmd/zhihui

# Test binaries run TEST_P at a time, by default one per core as go test
# does: a fresh clone's make test with eight at once took 15 min 40 s on a
# quiet 2-core machine (12 min 57 s with one per core, fewer tests, before), the browser-heavy
# packages slowing each other down (web 157 s to 900 s), and timing-bound
# tests met a load of 30. internal/web's accessibility check loads each
# page once (172 s -> 127 s CPU, chromium included, docs/performance.md
# "Sixth round"). The longest packages are named first so that
# they are built and started first; ./... adds every other package once.
TEST_P ?= $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
FIRST_PKGS := ./internal/journey/ ./internal/web/ ./internal/monitor/ ./internal/project/ ./internal/webcheck/ ./internal/ecstat/

# test installs what the tests need (Debian chromium for browser tests),
# makes sure PostgreSQL answers, then runs vet and every test.
# go test prints each package's time on its "ok" line.
test: deps vet
	$(GO) test -count=1 -p $(TEST_P) -timeout 45m $(FIRST_PKGS) ./...

# test-short runs every package without a browser and on SQLite only: the
# quick check before a commit (browser and PostgreSQL tests skip visibly).
# It needs about 145 CPU-seconds of tests (internal/web 59) plus about 65
# to link some forty test binaries, so not under 60 s on 2 cores (1 min 42 s
# on a quiet machine before the latest templates; docs/performance.md).
# The timeout is generous: a package that takes a minute alone takes many
# on a machine shared with other work, and that is not a failure.
test-short:
	ZHIHUI_TEST_POSTGRES=off ZHIHUI_REQUIRE_BROWSER= $(GO) test -short -count=1 -p $(TEST_P) -timeout 20m $(FIRST_PKGS) ./...

deps: chromium postgres

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing Debian chromium for the browser tests"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@# A Chinese font, so that the journey screenshots are readable.
	@if [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
		echo "installing a Chinese font for the browser tests"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null || true; \
	fi
	@# pdftotext, so that the tests read the text of the PDFs they download.
	@if ! command -v pdftotext >/dev/null 2>&1; then \
		echo "installing poppler-utils for the PDF checks"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null || true; \
	fi

postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "starting PostgreSQL"; \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@psql "$(PG_DSN)" -qtAc 'SELECT 1' >/dev/null 2>&1 || \
		psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' >/dev/null

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }

# fuzz runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# bench runs every bench script but the test suite's (bench-tests), which
# runs make test and make test-short twice each.
bench:
	@for s in bench/*.sh; do [ $$s = bench/testsuite.sh ] && continue; echo "== $$s"; sh $$s || exit 1; done

bench-tests:
	sh bench/testsuite.sh

clean:
	rm -f zhihui
