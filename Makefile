# LiteSafe — `make run` and `make test` are the two commands a newcomer needs.
SWIFT     ?= swift
PREFIX    ?= /usr/local
BINDIR    := $(PREFIX)/bin
DESTDIR   ?=
DEBIAN_PACKAGES := libsqlite3-dev libsystemd-dev libzstd-dev pkg-config sqlite3 zstd age \
                   systemd-container python3 util-linux time xfsprogs strace faketime \
                   python3-prometheus-client binutils sqlite3-tools \
                   libpq-dev postgresql-15 pgloader libcurl4-openssl-dev python3-venv restic
DEBUG_BIN := .build/debug/litesafe
# The S3 tests' server (Tests/tools/moto-server.py): moto in a virtualenv of Debian's python3, its
# versions pinned in Tests/tools/moto-requirements.txt.
MOTO_VENV := .build/venv-moto

.PHONY: deps debian-deps build release run test harness-test systemd-test reliability-test lint bench order-file install install-files clean

## deps: install the Debian packages LiteSafe builds and tests with (only what is missing), and
## the S3 tests' server in a virtualenv under .build
deps: debian-deps $(MOTO_VENV)/installed

debian-deps:
	@command -v $(SWIFT) >/dev/null || { echo "make deps: no Swift toolchain on PATH; install Swift 6 (https://www.swift.org/install/linux/) and run make again"; exit 1; }
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then \
	    echo "make deps: missing Debian packages:$$missing"; \
	    echo "make deps: run as root (sudo make deps) or: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	  echo "make deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Made anew whenever the pinned list changes; `installed` is written last, so an interrupted
# install is redone.
$(MOTO_VENV)/installed: Tests/tools/moto-requirements.txt | debian-deps
	rm -rf $(MOTO_VENV)
	/usr/bin/python3 -m venv $(MOTO_VENV)
	$(MOTO_VENV)/bin/pip install --quiet --disable-pip-version-check -r Tests/tools/moto-requirements.txt
	touch $@

## build: a debug build of the litesafe binary and the tests
# The moto virtualenv (a minute of pip) is made while Swift compiles; both must succeed.
build: debian-deps
	@mkdir -p .build; $(MAKE) --no-print-directory $(MOTO_VENV)/installed > .build/venv-moto.log 2>&1 & venv=$$!; \
	$(SWIFT) build --build-tests; built=$$?; \
	if ! wait $$venv; then cat .build/venv-moto.log; echo "make: the moto virtualenv ($(MOTO_VENV)) failed"; exit 1; fi; \
	exit $$built

# How the release binary is linked, to keep an idle daemon's resident memory small (see
# ARCHITECTURE.md, "Memory"): lld with packed relative relocations (glibc 2.36 reads them), no
# exported symbols, libstdc++ linked in (scripts/link/libstdc++.so), and the functions a daemon
# runs placed together (scripts/link/litesafe.order, made by `make order-file`).
LINK_DIR := $(CURDIR)/scripts/link
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -use-ld=lld -Xswiftc -L$(LINK_DIR) \
	-Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic \
	-Xlinker --symbol-ordering-file=$(LINK_DIR)/litesafe.order -Xlinker --no-warn-symbol-ordering

## release: optimised, with the Swift runtime linked in, so the installed binary needs no
## Swift toolchain on the server, and linked for a small resident daemon (RELEASE_FLAGS)
release: deps
	@# SwiftPM does not know the link depends on scripts/link: link again every time.
	rm -f .build/release/litesafe
	$(SWIFT) build $(RELEASE_FLAGS) --product litesafe
	$(SWIFT) build $(RELEASE_FLAGS) --product age-throughput
	./scripts/release-smoke .build/release/litesafe

## run: a demo database with a writer, a demo key, and the daemon in the foreground
run: deps
	$(SWIFT) build --product litesafe
	./scripts/demo

## test: every test — lint, harness, unit, end to end, fault injection, and under a real
## systemd; every suite runs even when one fails, and the run fails at the end
# `&` runs a suite beside the next one (scripts/test-suites): lint beside the harness. The
# systemd scenarios could run beside the reliability suite (they keep no copy of its mounts,
# Tests/systemd/run) and did, green, five times; they stay after it until that has held in CI
# runs too, and never beside the unit tests, whose CPU-bound workers must not be slowed.
test: build
	@./scripts/test-suites \
	  "&lint=$(MAKE) --no-print-directory lint" \
	  "harness=./Tests/harness/run $(DEBUG_BIN)" \
	  "unit=$(SWIFT) test --skip-build --parallel --num-workers 2" \
	  "reliability=./Tests/reliability/run $(DEBUG_BIN)" \
	  "systemd=./Tests/systemd/run"

## reliability-test: only the fault-injection suite (needs root: mounts, loop devices)
reliability-test: build
	./Tests/reliability/run $(DEBUG_BIN)

## harness-test: only the checks of make test, make install and make run themselves
harness-test: build
	./Tests/harness/run $(DEBUG_BIN)

## systemd-test: only the scenarios under a real systemd (needs root)
systemd-test: build
	./Tests/systemd/run

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

## bench: release build, then LiteSafe against the script a user would write
bench: release
	$(SWIFT) build $(RELEASE_FLAGS) --product s3-upload-bench
	./scripts/bench

## order-file: profile the daemon (valgrind) and rewrite the function order `make release` links with
order-file: release
	@command -v valgrind >/dev/null || { echo "make order-file: needs valgrind: apt-get install valgrind"; exit 1; }
	./scripts/order-file .build/release/litesafe $(LINK_DIR)/litesafe.order
	$(MAKE) release

## install: the release binary, unit, sysusers/tmpfiles files, catalog and example config
install: release
	$(MAKE) install-files BIN=.build/release/litesafe
	@if [ -z "$(DESTDIR)" ]; then \
	  $(PREFIX)/lib/litesafe/activate; \
	  echo "install: done; edit /etc/litesafe/litesafe.yml, then: systemctl enable --now litesafe"; \
	fi

# install-files: copies BIN and the deploy files under DESTDIR (the systemd tests use it
# with the debug binary). lib/litesafe/litesafe-s3.conf is not active by itself: it is the
# drop-in an operator copies to /etc/systemd/system/litesafe.service.d/ for S3 stores.
BIN ?= .build/release/litesafe
# The installed binary is stripped (about 60 MB instead of 100 with debug info); the unstripped
# one stays in .build for gdb.
install-files:
	install -D -m 0755 --strip $(BIN) $(DESTDIR)$(BINDIR)/litesafe
	mkdir -p .build
	sed 's|@BINDIR@|$(BINDIR)|g' deploy/litesafe.service > .build/litesafe.service
	install -D -m 0644 .build/litesafe.service $(DESTDIR)$(PREFIX)/lib/systemd/system/litesafe.service
	install -D -m 0644 deploy/litesafe.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/litesafe.conf
	install -D -m 0644 deploy/litesafe.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/litesafe.conf
	install -D -m 0644 deploy/litesafe.catalog $(DESTDIR)$(PREFIX)/lib/systemd/catalog/litesafe.catalog
	sed 's|@PREFIX@|$(PREFIX)|g' deploy/litesafe-activate > .build/litesafe-activate
	install -D -m 0755 .build/litesafe-activate $(DESTDIR)$(PREFIX)/lib/litesafe/activate
	install -D -m 0644 deploy/litesafe-s3.conf $(DESTDIR)$(PREFIX)/lib/litesafe/litesafe-s3.conf
	install -d -m 0750 $(DESTDIR)/etc/litesafe
	@if [ -e $(DESTDIR)/etc/litesafe/litesafe.yml ]; then \
	  echo "install: keeping the existing /etc/litesafe/litesafe.yml"; \
	else install -m 0640 config/litesafe.yml $(DESTDIR)/etc/litesafe/litesafe.yml; fi

clean:
	rm -rf .build demo
