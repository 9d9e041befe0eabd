# livecut: `make run` starts the service with its embedded defaults (SQLite and
# local storage under ./livecut-data); `make test` runs the whole test suite,
# including the PostgreSQL and official-SDK tests.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CARGO ?= cargo
DATA_DIR ?= ./livecut-data
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(REPO)/target)

.PHONY: setup build run test lint

setup:
	$(REPO)/scripts/setup-debian.sh
	$(REPO)/scripts/setup-sdk-venv.sh
	$(REPO)/scripts/setup-browser.sh

build:
	$(CARGO) build --release

run: setup build
	$(TARGET_DIR)/release/livecut --data-dir $(DATA_DIR) serve

# The throwaway PostgreSQL is stopped however the tests end (failure, Ctrl-C),
# and a failure makes make fail; --no-fail-fast reports every failing test
# binary in one CI run instead of stopping at the first.
test: setup
	pg_env=$$($(REPO)/scripts/pg-throwaway.sh start); \
	eval "$$pg_env"; \
	trap '$(REPO)/scripts/pg-throwaway.sh stop "$$LIVECUT_TEST_PG_DIR"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	export LIVECUT_TEST_PG_URL LIVECUT_SDK_PYTHON="$(REPO)/.venv/bin/python"; \
	$(CARGO) test --workspace --no-fail-fast
	$(MAKE) --no-print-directory lint

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
